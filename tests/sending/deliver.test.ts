// Delivering one message: through the aws-ses-v2-local stand-in at the limiter's pace, throttles injected around it
// (the stand-in never throttles); every delivery ends sent exactly once, rejected, out of quota or given back.
// Also the account's quota (GetSendQuota, mocked: the stand-in never answers it) and the days an issue takes.
import { GetSendQuotaCommand, MessageRejected, SESClient, SESServiceException } from '@aws-sdk/client-ses';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { SendError } from '../../functions/core/errors.ts';
import { sendRawMessage } from '../../functions/mail/ses.ts';
import { type DeliveryResult, deliver } from '../../functions/sending/deliver.ts';
import { RateLimiter } from '../../functions/sending/rate.ts';
import { daysToSend, sendQuota } from '../../functions/sending/send-quota.ts';
import { sentMail } from '../stand-ins/ses.ts';
import {
  DAILY_QUOTA_EXCEEDED,
  RATE_EXCEEDED,
  ratedSesClient,
  sesThrottlingError,
  throttleSome,
} from '../support/rated-ses.ts';

const endpoint = inject('sesEndpoint');
// One attempt per send: retries are deliver's to make, each through the limiter.
const standIn = () =>
  new SESClient({
    endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });

const FROM = 'digest@example.org';
/** A small message; the stand-in files it under the To header. */
function inputFor(to: string) {
  const raw = new TextEncoder().encode(
    `From: ${FROM}\r\nTo: ${to}\r\nSubject: Issue 2026-W48\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nHello\r\n`,
  );
  return { from: FROM, to, raw };
}

/** How many messages the stand-in holds for each address (its store is shared by the whole run: addresses are unique). */
async function storedFor(addresses: string[]): Promise<number[]> {
  const stored = await sentMail(endpoint);
  return addresses.map((to) => stored.filter((m) => m.destination.to.includes(to)).length);
}

/**
 * Virtual time for many concurrent deliveries: `sleep` parks a caller, and `run` wakes the earliest sleeper, sets the
 * clock to its time and lets everything it starts run before waking the next. Requests to the stand-in take real time
 * and no virtual time.
 */
function virtualTime() {
  let t = 0;
  let order = 0;
  const sleepers: { at: number; order: number; wake: () => void }[] = [];
  return {
    now: () => t,
    sleep: (ms: number) =>
      new Promise<void>((wake) => {
        sleepers.push({ at: t + ms, order: order++, wake });
      }),
    async run<T>(work: Promise<T>): Promise<T> {
      let settled = false;
      const done = work.finally(() => {
        settled = true;
      });
      while (!settled) {
        await new Promise((resolve) => setImmediate(resolve));
        if (sleepers.length === 0) continue;
        sleepers.sort((a, b) => a.at - b.at || a.order - b.order);
        const next = sleepers.shift()!;
        t = Math.max(t, next.at);
        next.wake();
      }
      return done;
    },
  };
}

/** A seeded generator in [0, 1) (mulberry32): the same throttles and jitter on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let r = Math.imul(a ^ (a >>> 15), 1 | a);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const serviceError = (name: string, status: number, message: string) =>
  new SESServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    message,
  });

/** A limiter that never waits, and a sleep that records. */
function unpaced() {
  const sleeps: number[] = [];
  return {
    limiter: new RateLimiter(1_000_000, { burst: 1_000 }),
    sleeps,
    sleep: async (ms: number) => {
      sleeps.push(ms);
    },
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('deliver', () => {
  it('sends through the stand-in once and returns its message id', async () => {
    const client = standIn();
    const send = vi.spyOn(client, 'send');
    const to = 'deliver-once@example.com';
    const { limiter, sleep } = unpaced();
    const result = await deliver(client, inputFor(to), { limiter, sleep });

    expect(result).toEqual({ kind: 'sent', messageId: expect.stringMatching(/\S/), attempts: 1 });
    expect(send).toHaveBeenCalledTimes(1);
    const mine = (await sentMail(endpoint)).filter((m) => m.destination.to.includes(to));
    expect(mine.map((m) => m.messageId)).toEqual([(result as { messageId: string }).messageId]);
  });

  it('takes a token before every attempt', async () => {
    const client = standIn();
    vi.spyOn(client, 'send')
      .mockRejectedValueOnce(sesThrottlingError() as never)
      .mockRejectedValueOnce(serviceError('ServiceUnavailable', 503, 'Service unavailable') as never);
    const { limiter, sleep } = unpaced();
    const take = vi.spyOn(limiter, 'take');
    const result = await deliver(client, inputFor('deliver-tokens@example.com'), { limiter, sleep });
    expect(result).toMatchObject({ kind: 'sent', attempts: 3 });
    expect(take).toHaveBeenCalledTimes(3);
  });

  it('with 30% of calls throttled, 40 deliveries all end sent, each exactly once', async () => {
    const time = virtualTime();
    const limiter = new RateLimiter(14, { now: time.now, sleep: time.sleep });
    const client = throttleSome(standIn(), 0.3, seeded(48));
    const throttles = vi.spyOn(limiter, 'slowDown');
    const recipients = Array.from({ length: 40 }, (_, i) => `deliver-throttled-${i}@example.com`);

    const results = await time.run(
      Promise.all(
        recipients.map((to, i) => deliver(client, inputFor(to), { limiter, sleep: time.sleep, random: seeded(i) })),
      ),
    );

    expect(results.map((r) => r.kind)).toEqual(Array(40).fill('sent'));
    const attempts = results.map((r) => (r as Extract<DeliveryResult, { kind: 'sent' }>).attempts);
    expect(attempts.some((n) => n > 1)).toBe(true);
    expect(throttles).toHaveBeenCalled();
    // A throttled attempt sent nothing: the stand-in holds one message per recipient, no more, no fewer.
    expect(await storedFor(recipients)).toEqual(Array(40).fill(1));
  });

  it('stops at "Daily message quota exceeded" after exactly one call', async () => {
    const client = standIn();
    const send = vi.spyOn(client, 'send').mockRejectedValue(sesThrottlingError(DAILY_QUOTA_EXCEEDED) as never);
    const { limiter, sleep, sleeps } = unpaced();
    const slowDown = vi.spyOn(limiter, 'slowDown');
    const result = await deliver(client, inputFor('deliver-quota@example.com'), { limiter, sleep });
    expect(result).toEqual({ kind: 'quota-exhausted' });
    expect(send).toHaveBeenCalledTimes(1);
    expect(sleeps).toEqual([]);
    expect(slowDown).not.toHaveBeenCalled();
  });

  it('reports MessageRejected as rejected, without a retry or the address', async () => {
    const to = 'deliver-rejected.secret@example.com';
    const client = standIn();
    const send = vi.spyOn(client, 'send').mockRejectedValue(
      new MessageRejected({
        $metadata: { httpStatusCode: 400 },
        message: `Email address is not verified. The following identities failed the check in region EU-WEST-1: ${to}`,
      }) as never,
    );
    const { limiter, sleep, sleeps } = unpaced();
    const result = await deliver(client, inputFor(to), { limiter, sleep });
    expect(result).toEqual({ kind: 'rejected', reason: 'MessageRejected' });
    expect(send).toHaveBeenCalledTimes(1);
    expect(sleeps).toEqual([]);
  });

  it('reports an address SES would misread as rejected, before any request', async () => {
    const client = standIn();
    const send = vi.spyOn(client, 'send');
    const { limiter, sleep } = unpaced();
    const result = await deliver(client, inputFor('a@example.com, b.secret@example.com'), { limiter, sleep });
    expect(result).toEqual({ kind: 'rejected', reason: expect.stringMatching(/^InvalidInput: /) });
    expect(JSON.stringify(result)).not.toContain('secret');
    expect(send).not.toHaveBeenCalled();
  });

  it('gives up after maxAttempts of 500s, having sent nothing', async () => {
    const to = 'deliver-gave-up@example.com';
    const client = standIn();
    const send = vi.spyOn(client, 'send').mockRejectedValue(serviceError('InternalFailure', 500, 'Oops') as never);
    const { limiter, sleep, sleeps } = unpaced();
    const slowDown = vi.spyOn(limiter, 'slowDown');
    const result = await deliver(client, inputFor(to), { limiter, sleep, maxAttempts: 4 });
    expect(result).toEqual({ kind: 'gave-up', reason: 'InternalFailure', attempts: 4 });
    expect(send).toHaveBeenCalledTimes(4);
    expect(sleeps).toHaveLength(3);
    expect(slowDown).not.toHaveBeenCalled();
    expect(await storedFor([to])).toEqual([0]);
  });

  it('gives up after 6 attempts by default, slowing the limiter on each throttle', async () => {
    const client = standIn();
    const send = vi.spyOn(client, 'send').mockRejectedValue(sesThrottlingError(RATE_EXCEEDED) as never);
    const { limiter, sleep } = unpaced();
    const slowDown = vi.spyOn(limiter, 'slowDown');
    const result = await deliver(client, inputFor('deliver-throttled-out@example.com'), { limiter, sleep });
    expect(result).toEqual({ kind: 'gave-up', reason: 'Throttling', attempts: 6 });
    expect(send).toHaveBeenCalledTimes(6);
    expect(slowDown).toHaveBeenCalledTimes(6);
  });

  it('backs off exponentially from 200 ms, capped at 20 s', async () => {
    const client = standIn();
    vi.spyOn(client, 'send').mockRejectedValue(serviceError('ServiceUnavailable', 503, 'Try later') as never);
    const { limiter, sleep, sleeps } = unpaced();
    const result = await deliver(client, inputFor('deliver-backoff@example.com'), {
      limiter,
      sleep,
      maxAttempts: 10,
      random: () => 0.5,
    });
    expect(result).toMatchObject({ kind: 'gave-up', attempts: 10 });
    expect(sleeps).toEqual([100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000]);
  });

  it('jitters each back-off anywhere below its ceiling', async () => {
    const client = standIn();
    vi.spyOn(client, 'send').mockRejectedValue(serviceError('ServiceUnavailable', 503, 'Try later') as never);
    const { limiter, sleep, sleeps } = unpaced();
    const random = seeded(7);
    await deliver(client, inputFor('deliver-jitter@example.com'), { limiter, sleep, maxAttempts: 12, random });
    sleeps.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(ms).toBeLessThan(Math.min(20_000, 200 * 2 ** i));
    });
    expect(new Set(sleeps).size).toBe(sleeps.length);
  });

  it('lets anything but a SendError or a RangeError through', async () => {
    const client = standIn();
    const { limiter, sleep } = unpaced();
    vi.spyOn(limiter, 'take').mockRejectedValue(new TypeError('broken limiter'));
    await expect(deliver(client, inputFor('deliver-bug@example.com'), { limiter, sleep })).rejects.toThrow(TypeError);
  });

  it('refuses a maxAttempts below 1', async () => {
    const { limiter, sleep } = unpaced();
    const input = inputFor('deliver-zero@example.com');
    await expect(deliver(standIn(), input, { limiter, sleep, maxAttempts: 0 })).rejects.toThrow(RangeError);
  });
});

describe('against an SES that enforces its rate', () => {
  it('throws what the SDK throws for Throttling, which sendRawMessage classes as worth a retry', async () => {
    const time = { t: 0 };
    const client = ratedSesClient(standIn(), { perSecond: 2, now: () => time.t });
    const input = inputFor('rated-shape@example.com');
    await sendRawMessage(client, input);
    await sendRawMessage(client, input);
    const failure = await sendRawMessage(client, input).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SendError);
    expect(failure).toMatchObject({ code: 'Throttling', retryable: true });
    const cause = (failure as SendError).cause;
    expect(cause).toBeInstanceOf(SESServiceException);
    expect(cause).toMatchObject({
      name: 'Throttling',
      message: 'Maximum sending rate exceeded.',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      Error: { Code: 'Throttling', Type: 'Sender' },
    });
    time.t = 1000;
    await expect(sendRawMessage(client, input)).resolves.toMatchObject({ messageId: expect.any(String) });
  });

  it('150 deliveries at once, paced to the same 50/s: no throttles, all sent once', async () => {
    const time = virtualTime();
    const limiter = new RateLimiter(50, { now: time.now, sleep: time.sleep });
    const inner = standIn();
    const passed = vi.spyOn(inner, 'send');
    const client = ratedSesClient(inner, { perSecond: 50, now: time.now });
    const recipients = Array.from({ length: 150 }, (_, i) => `rated-paced-${i}@example.com`);

    const results = await time.run(
      Promise.all(recipients.map((to) => deliver(client, inputFor(to), { limiter, sleep: time.sleep }))),
    );

    expect(results.filter((r) => r.kind !== 'sent' || r.attempts !== 1)).toEqual([]);
    expect(passed).toHaveBeenCalledTimes(150);
    expect(time.now()).toBe(2980);
    expect(await storedFor(recipients)).toEqual(Array(150).fill(1));
  });

  it('paced at twice the rate SES allows: throttled, slowed down, still all sent once', async () => {
    const time = virtualTime();
    const limiter = new RateLimiter(100, { now: time.now, sleep: time.sleep });
    const client = ratedSesClient(standIn(), { perSecond: 50, now: time.now });
    const recipients = Array.from({ length: 150 }, (_, i) => `rated-fast-${i}@example.com`);

    const results = await time.run(
      Promise.all(
        recipients.map((to, i) => deliver(client, inputFor(to), { limiter, sleep: time.sleep, random: seeded(i) })),
      ),
    );

    expect(results.map((r) => r.kind)).toEqual(Array(150).fill('sent'));
    expect(results.some((r) => r.kind === 'sent' && r.attempts > 1)).toBe(true);
    expect(limiter.rate).toBeLessThan(100);
    expect(await storedFor(recipients)).toEqual(Array(150).fill(1));
  });
});

describe('the send quota', () => {
  const quotaClient = (answer: Record<string, unknown>) => {
    const client = standIn();
    const send = vi.spyOn(client, 'send').mockResolvedValue({ $metadata: {}, ...answer } as never);
    return { client, send };
  };

  it('asks GetSendQuota and says what is left today', async () => {
    const { client, send } = quotaClient({ Max24HourSend: 200, MaxSendRate: 1, SentLast24Hours: 150 });
    await expect(sendQuota(client)).resolves.toEqual({
      maxPerSecond: 1,
      max24h: 200,
      sentLast24h: 150,
      remaining24h: 50,
    });
    expect(send).toHaveBeenCalledTimes(1);
    expect(send.mock.calls[0]![0]).toBeInstanceOf(GetSendQuotaCommand);
  });

  it('reads -1 as no daily limit', async () => {
    const { client } = quotaClient({ Max24HourSend: -1, MaxSendRate: 14, SentLast24Hours: 90_000 });
    await expect(sendQuota(client)).resolves.toMatchObject({ max24h: Infinity, remaining24h: Infinity });
  });

  it('never has less than nothing left (a quota lowered under what was sent)', async () => {
    const { client } = quotaClient({ Max24HourSend: 200, MaxSendRate: 1, SentLast24Hours: 250 });
    await expect(sendQuota(client)).resolves.toMatchObject({ remaining24h: 0 });
  });

  it('fails, saying so, on an answer without a rate', async () => {
    const { client } = quotaClient({ Max24HourSend: 200, SentLast24Hours: 0 });
    await expect(sendQuota(client)).rejects.toThrow(/GetSendQuota.*MaxSendRate/s);
  });
});

describe('days an issue takes', () => {
  const quota = { max24h: 200, remaining24h: 50 };

  it.each([
    ['nobody', 0, quota, 0],
    ['one recipient', 1, quota, 1],
    ["exactly today's remaining", 50, quota, 1],
    ['one more than today allows', 51, quota, 2],
    ['today and exactly one full day', 250, quota, 2],
    ['today and a bit of a third day', 251, quota, 3],
    ['a spent quota: today sends nothing, 200 tomorrow', 200, { max24h: 200, remaining24h: 0 }, 2],
    ['no daily limit', 1_000_000, { max24h: Infinity, remaining24h: Infinity }, 1],
    ['a quota of nothing a day', 1, { max24h: 0, remaining24h: 0 }, Infinity],
  ])('%s: %i recipients take %s day(s)', (_, recipients, q, days) => {
    expect(daysToSend(recipients, q)).toBe(days);
  });

  it('refuses a recipient count that is not a whole number ≥ 0', () => {
    expect(() => daysToSend(-1, quota)).toThrow(RangeError);
    expect(() => daysToSend(1.5, quota)).toThrow(RangeError);
    expect(() => daysToSend(Number.NaN, quota)).toThrow(RangeError);
  });
});
