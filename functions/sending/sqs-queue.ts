// The send queue in AWS: SQS, ten batches a request. Its redelivery (visibility timeout) retries a batch that failed,
// and its dead-letter queue keeps one that keeps failing, recipients intact.
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SendBatch } from './model.ts';
import type { SendQueue } from './queue.ts';

const ENTRIES_PER_REQUEST = 10;

export class SqsSendQueue implements SendQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(batches: readonly SendBatch[]): Promise<void> {
    for (let start = 0; start < batches.length; start += ENTRIES_PER_REQUEST) {
      let entries = batches
        .slice(start, start + ENTRIES_PER_REQUEST)
        .map((batch, i) => ({ Id: String(start + i), MessageBody: JSON.stringify(batch) }));
      for (let attempt = 1; entries.length > 0; attempt += 1) {
        const { Failed } = await this.client.send(
          new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }),
        );
        const failed = new Set((Failed ?? []).map((f) => f.Id));
        entries = entries.filter((e) => failed.has(e.Id));
        if (entries.length > 0 && attempt >= 5) {
          throw new Error(`SQS refused ${entries.length} batches of the send queue five times`);
        }
      }
    }
  }
}
