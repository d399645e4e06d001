// The build as the only writer of its manifest: buildFeeds under a lease (lease.ts). A build that arrives while
// another runs returns at once, and the running one builds once more for it.
import { type BuildReport, type BuildRequest, buildFeeds } from './build.ts';
import { type Lease, type LeaseOptions, underLease } from './lease.ts';

export interface LockedBuildRequest extends BuildRequest, LeaseOptions {
  lease: Lease;
  /** Unique per run (a Lambda request id, a random UUID). */
  owner: string;
  /**
   * How long a holder that stops answering keeps the lease: longer than any build can run (a Lambda function's
   * timeout and a minute), or a slow holder's lease is taken over while it still writes.
   */
  ttlMs?: number;
  clock: () => Date;
}

export type LockedBuildResult =
  | { ran: false }
  | {
      ran: true;
      /** The last round's report: it saw every change the earlier rounds saw. */
      report: BuildReport;
      rounds: number;
      /** Set when marks were still coming after the last allowed round: the next trigger builds them. */
      unfinished?: true;
    };

/** The longest a Lambda function runs, and a minute. */
export const DEFAULT_LEASE_TTL_MS = 16 * 60_000;

export async function buildFeedsUnderLease(request: LockedBuildRequest): Promise<LockedBuildResult> {
  const { lease, owner, ttlMs = DEFAULT_LEASE_TTL_MS, clock, maxRounds, maxAttempts, ...build } = request;
  const options = {
    ...(maxRounds === undefined ? {} : { maxRounds }),
    ...(maxAttempts === undefined ? {} : { maxAttempts }),
  };
  const outcome = await underLease(lease, owner, clock, ttlMs, () => buildFeeds(build), options);
  if (!outcome.ran) return { ran: false };
  // A lease that ran built at least once.
  const report = outcome.results.at(-1)!;
  return { ran: true, report, rounds: outcome.results.length, ...(outcome.unfinished ? { unfinished: true } : {}) };
}
