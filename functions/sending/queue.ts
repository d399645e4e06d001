// The send queue: the planner puts batches of recipients on it, the senders take them off. In AWS an SQS queue (its
// redelivery and dead-letter queue are the retry mechanism); in tests and the dev server an in-process queue that
// behaves the same way where it matters: a batch that fails comes back, one that succeeds is gone.
import type { SendBatch } from './model.ts';

export interface SendQueue {
  enqueue(batches: readonly SendBatch[]): Promise<void>;
}

/** In-process: delivers at least once, like SQS; `drain` runs a handler until the queue is empty or gives up. */
export class MemorySendQueue implements SendQueue {
  readonly waiting: { batch: SendBatch; receives: number }[] = [];
  readonly deadLetters: SendBatch[] = [];

  constructor(private readonly maxReceives = 5) {}

  async enqueue(batches: readonly SendBatch[]): Promise<void> {
    for (const batch of batches) this.waiting.push({ batch: structuredClone(batch), receives: 0 });
  }

  /**
   * Hands each batch to `handle`; a batch whose handler throws goes back to the end of the queue, and after
   * `maxReceives` receives to the dead letters, recipients intact. Returns the errors seen.
   */
  async drain(
    handle: (batch: SendBatch) => Promise<unknown>,
    options: { stopWhen?: () => boolean } = {},
  ): Promise<unknown[]> {
    const errors: unknown[] = [];
    while (this.waiting.length > 0 && !options.stopWhen?.()) {
      const message = this.waiting.shift()!;
      message.receives += 1;
      try {
        await handle(message.batch);
      } catch (error) {
        errors.push(error);
        if (message.receives >= this.maxReceives) this.deadLetters.push(message.batch);
        else this.waiting.push(message);
      }
    }
    return errors;
  }
}
