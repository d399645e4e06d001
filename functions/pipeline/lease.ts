// One writer at a time without reserved concurrency: a build runs under a lease, and a build that finds the lease
// taken leaves a "dirty" mark for the holder instead of waiting, so no trigger is lost and no caller fails.
//
// The invariant every adapter keeps: a mark is only ever removed by `takeDirty` (after which its holder builds once
// more) or together with a lease whose holder builds after it (an expired lease taken over, a release refused and the
// lease taken again). A holder stops only when `release` saw no mark at the moment the lease was given up, and a mark
// set after that moment finds no live holder (`markDirty` answers false), so its caller takes the lease itself.
import { setTimeout as sleep } from 'node:timers/promises';

export interface Lease {
  /**
   * Takes the lease for `owner` until now + ttlMs; false when another owner holds an unexpired one. An expired lease
   * (a crashed holder) can be taken; `owner` taking it again just renews it.
   */
  acquire(owner: string, now: Date, ttlMs: number): Promise<boolean>;
  /**
   * Tells the holder to build once more (called by a build that found the lease taken). False when no live holder
   * will see the mark (the lease was released or expired meanwhile): the caller then tries to take the lease itself.
   */
  markDirty(now: Date): Promise<boolean>;
  /** For the holder: whether a mark was set since it last asked, clearing it and extending the lease to now + ttlMs. */
  takeDirty(owner: string, now: Date, ttlMs: number): Promise<boolean>;
  /**
   * Gives the lease up, unless a mark is set: then false, the caller still holds the lease and must build again. True
   * also when `owner` does not hold the lease (any more): whoever holds it builds.
   */
  release(owner: string): Promise<boolean>;
  /** Gives the lease up even with a mark set: after a failed build, whose own retry covers what the marks asked for. */
  abandon(owner: string): Promise<void>;
}

export type LeaseOutcome<T> =
  | { ran: true; results: T[]; unfinished?: true }
  | {
      /** Another build holds the lease and was marked to run once more; nothing was built here. */
      ran: false;
    };

export interface LeaseOptions {
  /** Builds in one call at most; a mark still set after the last one is left to the next trigger (`unfinished`). */
  maxRounds?: number;
  /** Rounds of "taken, but its holder was gone before the mark" before giving up; each waits a little longer. */
  maxAttempts?: number;
}

export class LeaseContention extends Error {
  override name = 'LeaseContention';
}

const DEFAULT_ROUNDS = 5;
const DEFAULT_ATTEMPTS = 8;

/**
 * Runs `build` under the lease: once, then again while a mark was set meanwhile (at most `maxRounds` times). Without
 * running, `{ ran: false }` when the lease is taken (after marking it). A build that throws gives the lease up and
 * the error propagates: the failed trigger is retried, and that retry covers the marks.
 */
export async function underLease<T>(
  lease: Lease,
  owner: string,
  clock: () => Date,
  ttlMs: number,
  build: () => Promise<T>,
  options: LeaseOptions = {},
): Promise<LeaseOutcome<T>> {
  const maxRounds = options.maxRounds ?? DEFAULT_ROUNDS;
  const maxAttempts = options.maxAttempts ?? DEFAULT_ATTEMPTS;
  if (!(await takeOrMark(lease, owner, clock, ttlMs, maxAttempts))) return { ran: false };

  const results: T[] = [];
  try {
    for (;;) {
      results.push(await build());
      if (!(await lease.takeDirty(owner, clock(), ttlMs))) {
        if (await lease.release(owner)) return { ran: true, results };
        // Refused: a mark came after our last look. Consume it (false only if the lease was lost to a takeover,
        // whose holder builds anyway).
        if (!(await lease.takeDirty(owner, clock(), ttlMs))) return { ran: true, results };
      }
      if (results.length >= maxRounds) {
        // Let go with work pending: the next trigger (at the latest the schedule's tick) builds it.
        await lease.abandon(owner);
        return { ran: true, results, unfinished: true };
      }
    }
  } catch (error) {
    await lease.abandon(owner).catch(() => undefined);
    throw error;
  }
}

/** True once the lease is ours; false once a live holder carries our mark. */
async function takeOrMark(
  lease: Lease,
  owner: string,
  clock: () => Date,
  ttlMs: number,
  maxAttempts: number,
): Promise<boolean> {
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (await lease.acquire(owner, clock(), ttlMs)) return true;
    if (await lease.markDirty(clock())) return false;
    // The holder let go (or is expired) between our two calls: take the lease ourselves, after a short pause.
    await sleep(attempt * 5);
  }
  throw new LeaseContention(`The lease changed hands ${maxAttempts} times while this build tried to take or mark it`);
}
