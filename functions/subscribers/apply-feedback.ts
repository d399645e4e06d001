// Applies what SES reported to the subscriber store: each item goes through lifecycle's feedback() and is written
// with one conditional put; when another writer got there first, the subscriber is read again and the item re-applied.
import type { FeedbackItem } from './feedback.ts';
import { type Feedback, feedback, isSuppressed } from './lifecycle.ts';
import { type Subscriber, type SubscriberStore, WriteConflict } from './model.ts';

/** Re-reads after a write conflict, per item, before the whole event fails (and is retried by its sender). */
export const FEEDBACK_RETRIES = 3;

export interface FeedbackReport {
  /** Items that suppressed the address (hard bounce, complaint, the soft bounce at the limit), or changed the reason. */
  suppressed: number;
  /** Soft bounces counted while still under the limit. */
  counted: number;
  /** Deliveries that reset a count of soft bounces. */
  reset: number;
  /** Items about addresses that are not subscribers (SES's account-level suppression list still covers them). */
  unknown: number;
  /** Items that changed nothing: most deliveries, and feedback about an address already suppressed. */
  unchanged: number;
  /** The addresses of the `suppressed` items, in order: for the caller to log as keyed hashes, never as they are. */
  suppressedAddresses: string[];
}

type Outcome = 'suppressed' | 'counted' | 'reset' | 'unknown' | 'unchanged';

/**
 * Applies the items in order (a soft bounce and a later delivery to one address must not swap). Throws the store's
 * error if a write fails for another reason, or still conflicts after FEEDBACK_RETRIES re-reads; items before it stay
 * applied.
 */
export async function applyFeedback(
  store: SubscriberStore,
  items: readonly FeedbackItem[],
  now: Date,
): Promise<FeedbackReport> {
  const report: FeedbackReport = {
    suppressed: 0,
    counted: 0,
    reset: 0,
    unknown: 0,
    unchanged: 0,
    suppressedAddresses: [],
  };
  for (const item of items) {
    const outcome = await applyOne(store, item, now);
    report[outcome] += 1;
    if (outcome === 'suppressed') report.suppressedAddresses.push(item.address);
  }
  return report;
}

async function applyOne(store: SubscriberStore, item: FeedbackItem, now: Date): Promise<Outcome> {
  for (let retry = 0; ; retry++) {
    const current = await store.get(item.address);
    if (!current) return 'unknown';
    const change = feedback(current, item.kind, now);
    if (!change.write) return 'unchanged';
    try {
      await store.save(change.next, change.expectedVersion);
      return outcomeOf(current, change.next, item.kind);
    } catch (error) {
      if (!(error instanceof WriteConflict) || retry >= FEEDBACK_RETRIES) throw error;
    }
  }
}

function outcomeOf(current: Subscriber, next: Subscriber, kind: Feedback): Outcome {
  // A new suppression, or a new reason for one (a complaint about a bounced address).
  if (next.status !== current.status && isSuppressed(next.status)) return 'suppressed';
  return kind === 'soft-bounce' ? 'counted' : 'reset';
}
