// A subscriber as the store keeps it, and the store's port: single-item conditional writes only (DynamoDB's, and
// dynalite's, which has no transactions), so every state change is one atomic step.

export type SubscriberStatus = 'pending' | 'confirmed' | 'unsubscribed' | 'bounced' | 'complained';

/** Where a consent came from: a sign-up form, or an import with an explicit source. */
export interface Consent {
  at: Date;
  /** `form` (the site's sign-up form or the API), or `import:<name>` (an operator's import, with its source). */
  source: string;
  /** The request's client IP and user agent, as the HTTP layer saw them (absent for imports). */
  ip?: string;
  userAgent?: string;
}

export interface Subscriber {
  /** Normalized (address.ts): the store's key. */
  address: string;
  status: SubscriberStatus;
  /** Topic slugs the subscriber chose; empty means every topic. */
  topics: string[];
  /** The consent this subscription rests on: the sign-up request, then the confirmation. */
  consent: Consent;
  createdAt: Date;
  updatedAt: Date;
  confirmedAt?: Date;
  /** When the last confirmation mail went out, for the per-address cooldown. */
  confirmationSentAt?: Date;
  /** Soft bounces in a row; a delivery resets it, a threshold suppresses the address. */
  softBounces: number;
  /** Bumped by every write: a write succeeds only if the item is still at the version it was read at. */
  version: number;
}

/** What a write found when the item had changed (or appeared) since it was read. */
export class WriteConflict extends Error {
  override readonly name = 'WriteConflict';
}

export interface SubscriberPage {
  subscribers: Subscriber[];
  /** Opaque: pass it back to get the next page; absent on the last page. */
  cursor?: string;
}

export interface SubscriberStore {
  get(address: string): Promise<Subscriber | undefined>;
  /** Many at once (the sender's one read per batch): the ones that exist, by address. */
  getMany(addresses: readonly string[]): Promise<Map<string, Subscriber>>;
  /**
   * Writes `next` if the stored item is still at `expectedVersion` (undefined: if there is none yet); throws
   * WriteConflict otherwise. `next.version` must be `expectedVersion + 1` (or 1).
   */
  save(next: Subscriber, expectedVersion: number | undefined): Promise<void>;
  /**
   * One page of confirmed subscribers of one shard (0..shards-1), without reading anyone else: the sender pages
   * through every shard, in parallel if it likes, and can resume from a cursor.
   */
  confirmedPage(shard: number, options: { cursor?: string; limit?: number }): Promise<SubscriberPage>;
  /** The number of shards confirmed subscribers are spread over. */
  readonly shards: number;
  /** Every subscriber, in pages (operator commands only: a full scan). */
  scanPage(options: { cursor?: string; limit?: number }): Promise<SubscriberPage>;
  /**
   * Counts one hit against `key` in its window; true while the count stays within `limit`. Records expire by
   * themselves at `expiresAt` (DynamoDB TTL); one whose `expiresAt` has passed by `now` (default: the clock) counts
   * from 1 again, since TTL deletes late.
   */
  hit(key: string, limit: number, expiresAt: Date, now?: Date): Promise<boolean>;
  /** A suppression left by an erased address (by keyed hash): its status when erased, or undefined. */
  tombstone(hash: string): Promise<SubscriberStatus | undefined>;
  /** Erases the subscriber's personal data and leaves a tombstone under `hash` that keeps a suppression. */
  erase(address: string, hash: string): Promise<'erased' | 'absent'>;
}
