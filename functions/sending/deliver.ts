// Hands one message to SES at the limiter's pace, tries again what SES may take later, and says how it ended. SES drops
// a throttled message ("Maximum sending rate exceeded"), so a throttled attempt is never counted as sent.
import type { SESClient } from '@aws-sdk/client-ses';
import { SendError } from '../core/errors.ts';
import { type RawSendInput, sendRawMessage } from '../mail/ses.ts';
import type { RateLimiter } from './rate.ts';

export type DeliveryResult =
  | { kind: 'sent'; messageId: string; attempts: number }
  /** Refused for good: SES's error name (e.g. MessageRejected), or InvalidInput for a bad address or tag. No address. */
  | { kind: 'rejected'; reason: string }
  /** "Daily message quota exceeded": stop sending until SES allows more. */
  | { kind: 'quota-exhausted' }
  /** Transient failures until maxAttempts: the caller gives the recipient back to the queue. */
  | { kind: 'gave-up'; reason: string; attempts: number };

export interface DeliverOptions {
  limiter: RateLimiter;
  /** Attempts in all, the first included. Default 6. */
  maxAttempts?: number;
  /** Default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** In [0, 1), for the jitter. Default Math.random. */
  random?: () => number;
}

const BACKOFF_BASE_MS = 200;
const BACKOFF_CAP_MS = 20_000;
/** The names SES and the SDK give an answer over the rate; SES words the daily quota the same way. */
const THROTTLING = new Set(['Throttling', 'ThrottlingException', 'TooManyRequestsException']);
const DAILY_QUOTA = /daily message quota exceeded/i;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * "Full jitter" (AWS Architecture Blog, Exponential Backoff and Jitter): anywhere in [0, min(cap, base · 2^(n−1))) after
 * the nth failed attempt, so senders throttled together do not come back together.
 */
function backoff(failedAttempts: number, random: () => number): number {
  return random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (failedAttempts - 1));
}

/**
 * Every attempt takes a token from the limiter first. Build `client` with `maxAttempts: 1`: the SDK otherwise retries a
 * throttle or a 5xx by itself, outside the limiter, and `attempts` would count fewer tries than SES saw.
 *
 * A 5xx or a time-out may come after SES took the message (SES has no idempotency key): trying again can then send a
 * second copy. That is the price of not losing the message; the ledger keeps a redelivered batch from adding more.
 */
export async function deliver(
  client: SESClient,
  input: RawSendInput,
  options: DeliverOptions,
): Promise<DeliveryResult> {
  const { limiter, maxAttempts = 6, sleep = defaultSleep, random = Math.random } = options;
  if (!(Number.isInteger(maxAttempts) && maxAttempts >= 1)) {
    throw new RangeError(`maxAttempts must be a whole number ≥ 1, not ${maxAttempts}`);
  }
  for (let attempt = 1; ; attempt++) {
    await limiter.take();
    try {
      const { messageId } = await sendRawMessage(client, input);
      return { kind: 'sent', messageId, attempts: attempt };
    } catch (error) {
      // sendRawMessage checks its input before any request; its messages never repeat an address.
      if (error instanceof RangeError) return { kind: 'rejected', reason: `InvalidInput: ${error.message}` };
      if (!(error instanceof SendError)) throw error;
      if (DAILY_QUOTA.test(error.message)) return { kind: 'quota-exhausted' };
      if (!error.retryable) return { kind: 'rejected', reason: error.code };
      if (THROTTLING.has(error.code)) limiter.slowDown();
      if (attempt >= maxAttempts) return { kind: 'gave-up', reason: error.code, attempts: attempt };
      await sleep(backoff(attempt, random));
    }
  }
}
