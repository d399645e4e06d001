// SES that throttles, for tests and benchmarks: the aws-ses-v2-local stand-in never does. The wrappers throw what the
// SDK throws for SES's Throttling answer (an SESServiceException named Throttling, HTTP 400, $fault client, with the
// query protocol's Type/Code/Error fields), checked against the SDK's parser of an SES error response.
import { type SESClient, SESServiceException } from '@aws-sdk/client-ses';

/** SES's words for being over the rate; the daily quota is "Daily message quota exceeded." under the same name. */
export const RATE_EXCEEDED = 'Maximum sending rate exceeded.';
export const DAILY_QUOTA_EXCEEDED = 'Daily message quota exceeded.';

let requests = 0;

/** The error the SDK throws when SES answers `Throttling` with this message. */
export function sesThrottlingError(message: string = RATE_EXCEEDED): SESServiceException {
  requests += 1;
  const error = new SESServiceException({
    name: 'Throttling',
    $fault: 'client',
    $metadata: { httpStatusCode: 400, requestId: `throttled-${requests}`, attempts: 1, totalRetryDelay: 0 },
    message,
  });
  return Object.assign(error, {
    Type: 'Sender',
    Code: 'Throttling',
    Error: { Type: 'Sender', Code: 'Throttling', Message: message },
  });
}

/** A client like `inner` (same config, same stand-in) whose `send` goes through `send`. */
function withSend(inner: SESClient, send: (command: unknown) => Promise<unknown>): SESClient {
  const client = Object.create(inner) as SESClient;
  Object.defineProperty(client, 'send', { value: send, writable: true, configurable: true });
  return client;
}

/**
 * Throttles every call that would make more than `perSecond` accepted calls in the half-open second (now − 1000 ms,
 * now]; throttled calls do not count. Every command counts, whatever it is.
 */
export function ratedSesClient(inner: SESClient, options: { perSecond: number; now?: () => number }): SESClient {
  const now = options.now ?? Date.now;
  const accepted: number[] = [];
  return withSend(inner, async (command) => {
    const t = now();
    while (accepted.length > 0 && accepted[0]! <= t - 1000) accepted.shift();
    if (accepted.length >= options.perSecond) throw sesThrottlingError(RATE_EXCEEDED);
    accepted.push(t);
    return inner.send(command as never);
  });
}

/** Throttles a call when `random()` < `share` (so a share of the calls), without passing it on. */
export function throttleSome(inner: SESClient, share: number, random: () => number): SESClient {
  return withSend(inner, async (command) => {
    if (random() < share) throw sesThrottlingError(RATE_EXCEEDED);
    return inner.send(command as never);
  });
}
