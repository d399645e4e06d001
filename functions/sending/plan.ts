// The planner: pages through the confirmed subscribers of the store, shard by shard, and puts them on the send queue
// in batches, saving where it got to after every page. A re-run continues where it stopped; a recipient queued twice
// (a crash between the enqueue and the save) costs nothing, because the send ledger decides who gets a message.
import type { Storage } from '../storage/port.ts';
import type { SubscriberStore } from '../subscribers/model.ts';
import { readControl, readProgress, writeProgress } from './control.ts';
import { SEND_BATCH_SIZE, type SendBatch } from './model.ts';
import type { SendQueue } from './queue.ts';

export interface PlanRequest {
  issueId: string;
  store: SubscriberStore;
  queue: SendQueue;
  /** The digest's state location (progress and control live there). */
  state: Storage;
  now: Date;
  /** Hold the issue until an operator approves it (digest.requireApproval). */
  requireApproval?: boolean;
  pageSize?: number;
}

export type PlanResult =
  | { outcome: 'awaiting-approval' | 'cancelled'; planned: number }
  | { outcome: 'planned'; planned: number; queuedNow: number; batchesNow: number };

export async function planSend(request: PlanRequest): Promise<PlanResult> {
  const { store, queue, state, issueId } = request;
  const control = await readControl(state, issueId);
  const progress = await readProgress(state, issueId);
  if (control.state === 'cancelled') return { outcome: 'cancelled', planned: progress.planned };
  if (request.requireApproval && !control.approvedAt)
    return { outcome: 'awaiting-approval', planned: progress.planned };
  let queuedNow = 0;
  let batchesNow = 0;
  for (let shard = 0; shard < store.shards; shard += 1) {
    if (progress.done.includes(shard)) continue;
    let cursor: string | undefined = progress.cursors[String(shard)];
    do {
      const page = await store.confirmedPage(shard, { ...(cursor ? { cursor } : {}), limit: request.pageSize ?? 500 });
      const batches: SendBatch[] = [];
      for (let start = 0; start < page.subscribers.length; start += SEND_BATCH_SIZE) {
        const recipients = page.subscribers.slice(start, start + SEND_BATCH_SIZE).map((s) => s.address);
        batches.push({ issueId, recipients });
      }
      if (batches.length > 0) await queue.enqueue(batches);
      queuedNow += page.subscribers.length;
      batchesNow += batches.length;
      progress.planned += page.subscribers.length;
      cursor = page.cursor;
      if (cursor) progress.cursors[String(shard)] = cursor;
      else {
        delete progress.cursors[String(shard)];
        progress.done.push(shard);
      }
      // After every page: a planner stopped now re-queues at most this page.
      await writeProgress(state, issueId, progress);
    } while (cursor);
  }
  if (!progress.finishedAt) {
    progress.finishedAt = request.now;
    await writeProgress(state, issueId, progress);
  }
  return { outcome: 'planned', planned: progress.planned, queuedNow, batchesNow };
}
