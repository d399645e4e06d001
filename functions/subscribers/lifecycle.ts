// What each event does to a subscriber: sign-up, confirmation, unsubscribe, a change of topics, a bounce, a complaint.
// Pure: the current record (if any) and the event in, the next record (if it changes) and what to do out. The HTTP
// routes, the feedback handler and the operator commands all go through here, and write with one conditional put.
import type { Consent, Subscriber, SubscriberStatus } from './model.ts';

/** Soft bounces in a row after which an address is treated as bounced. */
export const SOFT_BOUNCE_LIMIT = 3;

const SUPPRESSED: ReadonlySet<SubscriberStatus> = new Set(['bounced', 'complained']);

export function isSuppressed(status: SubscriberStatus | undefined): boolean {
  return status !== undefined && SUPPRESSED.has(status);
}

export interface SignUp {
  address: string;
  /** Topic slugs asked for; empty: every topic. */
  topics: string[];
  consent: Consent;
  /** A repeated sign-up within this many milliseconds of the last confirmation mail sends nothing. */
  cooldownMs: number;
}

export type SignUpResult =
  | { outcome: 'suppressed' }
  | { outcome: 'cooldown' }
  | { outcome: 'send'; next: Subscriber; expectedVersion: number | undefined };

/** Stamps a change: the next version, the time. */
function changed(current: Subscriber, at: Date, fields: Partial<Subscriber>): Subscriber {
  return { ...current, ...fields, updatedAt: at, version: current.version + 1 };
}

/**
 * A sign-up (the form, the API, an import without --confirmed). Everyone gets the same answer; what differs is only
 * whether a confirmation mail goes out:
 * - a bounced or complaining address (or one erased as such: `tombstone`) is never mailed;
 * - within the cooldown nothing is sent again;
 * - a new address becomes pending; a pending or unsubscribed one is pending again with the topics and consent of this
 *   request (an unsubscribed person subscribes again through the same confirmation);
 * - a confirmed one stays as it is (topics are not changed by a request anyone could make) and gets the mail again,
 *   whose link leads to its settings.
 */
export function signUp(
  current: Subscriber | undefined,
  tombstone: SubscriberStatus | undefined,
  request: SignUp,
): SignUpResult {
  const at = request.consent.at;
  if (isSuppressed(current?.status) || (!current && isSuppressed(tombstone))) return { outcome: 'suppressed' };
  const last = current?.confirmationSentAt?.getTime();
  if (last !== undefined && at.getTime() - last < request.cooldownMs) return { outcome: 'cooldown' };
  if (!current) {
    const next: Subscriber = {
      address: request.address,
      status: 'pending',
      topics: [...request.topics],
      consent: request.consent,
      createdAt: at,
      updatedAt: at,
      confirmationSentAt: at,
      softBounces: 0,
      version: 1,
    };
    return { outcome: 'send', next, expectedVersion: undefined };
  }
  const next =
    current.status === 'confirmed'
      ? changed(current, at, { confirmationSentAt: at })
      : changed(current, at, {
          status: 'pending',
          topics: [...request.topics],
          consent: request.consent,
          confirmationSentAt: at,
        });
  return { outcome: 'send', next, expectedVersion: current.version };
}

export type Change =
  /** Nothing to write; `status` says where the subscriber stands (absent: no such subscriber). */
  { write: false; status?: SubscriberStatus } | { write: true; next: Subscriber; expectedVersion: number };

const same = (current: Subscriber | undefined): Change => ({
  write: false,
  ...(current ? { status: current.status } : {}),
});

/** A confirmation link followed: pending → confirmed. Anything else stays as it is (an unsubscribe since wins). */
export function confirm(current: Subscriber | undefined, at: Date): Change {
  if (current?.status !== 'pending') return same(current);
  const consent = { ...current.consent };
  return {
    write: true,
    next: changed(current, at, { status: 'confirmed', confirmedAt: at, consent, softBounces: 0 }),
    expectedVersion: current.version,
  };
}

/** An unsubscribe (one click, the page's button, an operator): idempotent; a suppression stays a suppression. */
export function unsubscribe(current: Subscriber | undefined, at: Date): Change {
  if (!current || current.status === 'unsubscribed' || isSuppressed(current.status)) return same(current);
  return { write: true, next: changed(current, at, { status: 'unsubscribed' }), expectedVersion: current.version };
}

/** New topic choices (slugs; empty: every topic), for anyone not suppressed; the status does not change. */
export function chooseTopics(current: Subscriber | undefined, topics: readonly string[], at: Date): Change {
  if (!current || isSuppressed(current.status)) return same(current);
  const sorted = [...new Set(topics)].sort();
  if (sorted.join('\n') === current.topics.join('\n')) return same(current);
  return { write: true, next: changed(current, at, { topics: sorted }), expectedVersion: current.version };
}

export type Feedback = 'hard-bounce' | 'soft-bounce' | 'complaint' | 'delivery';

/**
 * What SES reports about a message to this subscriber. A hard bounce and a complaint suppress at once; soft bounces
 * count, and SOFT_BOUNCE_LIMIT in a row suppress; a delivery resets the count.
 */
export function feedback(current: Subscriber | undefined, kind: Feedback, at: Date): Change {
  if (!current) return same(current);
  const to = (fields: Partial<Subscriber>): Change => ({
    write: true,
    next: changed(current, at, fields),
    expectedVersion: current.version,
  });
  switch (kind) {
    case 'complaint':
      return current.status === 'complained' ? same(current) : to({ status: 'complained' });
    case 'hard-bounce':
      return isSuppressed(current.status) ? same(current) : to({ status: 'bounced' });
    case 'soft-bounce': {
      if (isSuppressed(current.status)) return same(current);
      const softBounces = current.softBounces + 1;
      return to(softBounces >= SOFT_BOUNCE_LIMIT ? { softBounces, status: 'bounced' } : { softBounces });
    }
    case 'delivery':
      return current.softBounces === 0 ? same(current) : to({ softBounces: 0 });
  }
}
