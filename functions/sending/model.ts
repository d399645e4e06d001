// Sending an issue to every confirmed subscriber: the batches the planner queues, the outcomes a recipient can have,
// and the send ledger's port (one entry per issue and recipient, so nobody gets a second copy).

/** What happened to one planned recipient. */
export type Outcome =
  /** SES accepted the message. */
  | 'sent'
  /** A ledger entry said so already (a redelivered batch, a re-run planner). */
  | 'already-sent'
  /** Unsubscribed, bounced or complained since planning (or gone): nothing sent. */
  | 'suppressed'
  /** Nothing in the issue matched the subscriber's topics: nothing sent, by design. */
  | 'no-topics'
  /** SES refused the message for good (a rejected address): never retried. */
  | 'failed'
  /** Claimed, but no record of SES's answer (a worker died in between): never resent, listed in the report. */
  | 'unknown';

export const OUTCOMES: readonly Outcome[] = ['sent', 'already-sent', 'suppressed', 'no-topics', 'failed', 'unknown'];

/** One message on the send queue: up to SEND_BATCH_SIZE recipients of one issue. */
export interface SendBatch {
  issueId: string;
  /** Normalized addresses. */
  recipients: string[];
}

export const SEND_BATCH_SIZE = 50;

/** A ledger entry's state: claimed before the send, then sent or failed; skipped for a recipient who got nothing. */
export type LedgerState = 'claimed' | 'sent' | 'failed' | 'suppressed' | 'no-topics';

export interface LedgerEntry {
  issueId: string;
  /** The recipient's keyed hash (never the address). */
  recipient: string;
  state: LedgerState;
  at: Date;
  messageId?: string;
  /** For `failed`: the SES error's name and code. */
  reason?: string;
}

export interface SendLedger {
  /**
   * Claims (issue, recipient) before a send: one conditional write that succeeds for exactly one caller. Returns
   * 'claimed', or the entry that was there (already claimed, sent, failed or skipped).
   */
  claim(issueId: string, recipient: string, at: Date): Promise<'claimed' | LedgerEntry>;
  /** After SES accepted the message. */
  markSent(issueId: string, recipient: string, messageId: string, at: Date): Promise<void>;
  /** After SES refused it for good. */
  markFailed(issueId: string, recipient: string, reason: string, at: Date): Promise<void>;
  /** Records a recipient who gets nothing (suppressed, no matching topics), unless an entry exists. */
  markSkipped(issueId: string, recipient: string, outcome: 'suppressed' | 'no-topics', at: Date): Promise<void>;
  /** Gives a claim back when the send did not happen (a transient failure): a later delivery may claim again. */
  release(issueId: string, recipient: string): Promise<void>;
  /** Every entry of an issue, in pages (the report). */
  entries(
    issueId: string,
    options: { cursor?: string; limit?: number },
  ): Promise<{ entries: LedgerEntry[]; cursor?: string }>;
}
