// Paces sends to the account's SES rate. Over the rate SES drops the message (Throttling), so starting each send no
// sooner than allowed is cheaper than backing off afterwards. A token bucket that hands out start times.

export interface RateLimiterOptions {
  /**
   * Starts allowed at once beyond the steady rate: the bucket holds 1 + burst. Default 0, since SES does not say how it
   * counts its per-second rate: with no burst, no half-open second (t − 1000 ms, t] ever holds more than perSecond starts.
   */
  burst?: number;
  /** The clock, in ms. Default Date.now. */
  now?: () => number;
  /** Default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** How long a slowDown takes to wear off, in ms. Default 30 000. */
  recoveryMs?: number;
}

/** One start costs 1000 units and each ms earns `perSecond` units: exact arithmetic for a whole rate and whole ms. */
const START = 1000;
/** Throttles this close to the last cut come from the same burst of concurrent sends: the rate is cut once for them. */
const SAME_THROTTLE_MS = 1000;
/** A slowDown never takes the rate below this share of perSecond. */
const MIN_SHARE = 0.1;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Concurrent callers share one limiter: `take()` reserves its start time synchronously (the bucket may go into debt,
 * and each later caller waits for the debt before it), then sleeps until then. Callers start in the order they asked.
 */
export class RateLimiter {
  readonly #perSecond: number;
  readonly #capacity: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #recoveryMs: number;
  /** Units in the bucket at #at; negative while starts are reserved ahead of time. */
  #units: number;
  #at: number;
  /** The last slowDown: the share of perSecond it cut to, and when. */
  #cutTo = 1;
  #cutAt = Number.NEGATIVE_INFINITY;

  constructor(perSecond: number, options: RateLimiterOptions = {}) {
    if (!(Number.isFinite(perSecond) && perSecond > 0)) {
      throw new RangeError(`A send rate must be a positive number of messages a second, not ${perSecond}`);
    }
    const burst = options.burst ?? 0;
    if (!(Number.isInteger(burst) && burst >= 0))
      throw new RangeError(`A burst must be a whole number ≥ 0, not ${burst}`);
    this.#perSecond = perSecond;
    this.#capacity = (1 + burst) * START;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? defaultSleep;
    this.#recoveryMs = options.recoveryMs ?? 30_000;
    this.#units = this.#capacity;
    this.#at = this.#now();
  }

  /** Messages a second allowed now: perSecond, or less for a while after a slowDown. */
  get rate(): number {
    return this.#rateAt(this.#now());
  }

  /** Waits until a send may start. */
  async take(): Promise<void> {
    const wait = this.reserve();
    if (wait > 0) await this.#sleep(wait);
  }

  /** Reserves the next start and returns how many ms to wait for it (whole ms, rounded up; 0: start now). */
  reserve(): number {
    const t = this.#now();
    this.#refill(t);
    this.#units -= START;
    return this.#units >= 0 ? 0 : Math.ceil(-this.#units / this.#rateAt(t));
  }

  /**
   * After SES throttled a send: the rate drops to `factor` × the current rate (never below a tenth of perSecond) and
   * climbs back to perSecond in a straight line over recoveryMs. SES's rate belongs to the account, and other senders
   * share it (the sign-up confirmations, a second worker): a throttle says this limiter's rate is too high for now.
   * Backing off the throttled message alone would leave every other send hitting the same limit. Starts reserved
   * before the cut keep their times.
   */
  slowDown(factor = 0.5): void {
    if (!(factor > 0 && factor <= 1)) throw new RangeError(`A slow-down factor must be in (0, 1], not ${factor}`);
    const t = this.#now();
    if (t - this.#cutAt < SAME_THROTTLE_MS) return;
    this.#refill(t);
    this.#cutTo = Math.max(MIN_SHARE, this.#share(t) * factor);
    this.#cutAt = t;
  }

  #share(t: number): number {
    const since = t - this.#cutAt;
    if (since >= this.#recoveryMs) return 1;
    return this.#cutTo + ((1 - this.#cutTo) * since) / this.#recoveryMs;
  }

  /** Units a ms. */
  #rateAt(t: number): number {
    return this.#perSecond * this.#share(t);
  }

  /**
   * Earns units from #at to t at the rate of #at: while a slowDown wears off that is the interval's lowest rate, so
   * the limiter errs on the slow side. A clock that steps back earns nothing.
   */
  #refill(t: number): void {
    if (t <= this.#at) return;
    this.#units = Math.min(this.#capacity, this.#units + (t - this.#at) * this.#rateAt(this.#at));
    this.#at = t;
  }
}

/**
 * The share of the account's send rate the senders plan for. A limiter at exactly SES's rate still met a throttle about
 * once in 6,000 sends in the benchmark (a send that starts a few ms late lets the next second hold one too many), and
 * each throttle halves a sender's pace for a while; 90% costs a tenth of the speed and avoids that.
 */
export const SAFE_SHARE_OF_RATE = 0.9;

/** Each sender's rate, so that all `maxConcurrency` together stay under the account's `ratePerSecond`. */
export function senderRate(sending: { ratePerSecond: number; maxConcurrency: number }): number {
  return (sending.ratePerSecond * SAFE_SHARE_OF_RATE) / sending.maxConcurrency;
}
