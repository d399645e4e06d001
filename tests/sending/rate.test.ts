// The send-rate limiter on a fake clock: starts never crowd a second beyond the rate (and burst), callers that share it
// queue in order, and a slowDown lowers the rate and wears off in a straight line.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RateLimiter, senderRate } from '../../functions/sending/rate.ts';

/** A clock that moves only when told, and a sleep that records what it was asked and moves the clock that far. */
function fakeTime(start = 1_700_000_000_000) {
  let t = start;
  const sleeps: number[] = [];
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    sleeps,
  };
}

/** The most starts in any half-open second (s − 1000 ms, s]: the busiest such second ends at a start. */
function busiestSecond(starts: number[]): number {
  const sorted = [...starts].sort((a, b) => a - b);
  let most = 0;
  let first = 0;
  for (let last = 0; last < sorted.length; last++) {
    while (sorted[first]! <= sorted[last]! - 1000) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

/** Each caller reserves at its own time (t += gap) and starts when the limiter says: the starts, in call order. */
function startsFor(limiter: RateLimiter, time: ReturnType<typeof fakeTime>, gaps: number[]): number[] {
  return gaps.map((gap) => {
    time.advance(gap);
    return time.now() + limiter.reserve();
  });
}

describe('the pace', () => {
  it('never starts more than perSecond + burst in any second, however the calls come', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 5 }),
        fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 3000 })), {
          maxLength: 400,
        }),
        (perSecond, burst, gaps) => {
          const time = fakeTime();
          const starts = startsFor(new RateLimiter(perSecond, { burst, now: time.now }), time, gaps);
          expect(busiestSecond(starts)).toBeLessThanOrEqual(perSecond + burst);
          // Callers start in the order they asked, never before they asked.
          starts.forEach((start, i) => {
            if (i > 0) expect(start).toBeGreaterThanOrEqual(starts[i - 1]!);
          });
        },
      ),
    );
  });

  it('holds for rates that are not whole numbers', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }).map((quarters) => quarters / 4),
        fc.array(fc.integer({ min: 0, max: 500 }), { maxLength: 300 }),
        (perSecond, gaps) => {
          const time = fakeTime();
          const starts = startsFor(new RateLimiter(perSecond, { now: time.now }), time, gaps);
          expect(busiestSecond(starts)).toBeLessThanOrEqual(Math.ceil(perSecond));
        },
      ),
    );
  });

  it('loses no rate to waiting: 150 callers at once at 50/s start 20 ms apart, the last after 2.98 s', () => {
    const time = fakeTime(0);
    const starts = startsFor(new RateLimiter(50, { now: time.now }), time, Array(150).fill(0));
    expect(starts.slice(0, 4)).toEqual([0, 20, 40, 60]);
    expect(starts.at(-1)).toBe(2980);
    expect(busiestSecond(starts)).toBe(50);
  });

  it('rounds a wait up to a whole ms, never starting early, and keeps the rate: 3/s starts at 0, 334, 667, 1000', () => {
    const time = fakeTime(0);
    expect(startsFor(new RateLimiter(3, { now: time.now }), time, [0, 0, 0, 0, 0])).toEqual([0, 334, 667, 1000, 1334]);
  });

  it('starts at once after a quiet spell, and lets a burst through at once', () => {
    const time = fakeTime(0);
    const limiter = new RateLimiter(2, { burst: 2, now: time.now });
    expect(startsFor(limiter, time, [0, 0, 0, 0])).toEqual([0, 0, 0, 500]);
    // The bucket refills to 1 + burst and no further.
    expect(startsFor(limiter, time, [60_000, 0, 0, 0])).toEqual([60_000, 60_000, 60_000, 60_500]);
  });

  it('take() sleeps as long as its reservation, and not at all when a start is free', async () => {
    const time = fakeTime(0);
    const limiter = new RateLimiter(4, { now: time.now, sleep: time.sleep });
    await limiter.take();
    await limiter.take();
    await limiter.take();
    expect(time.sleeps).toEqual([250, 250]);
    expect(time.now()).toBe(500);
  });

  it('refuses a rate or burst it cannot keep', () => {
    expect(() => new RateLimiter(0)).toThrow(RangeError);
    expect(() => new RateLimiter(Number.NaN)).toThrow(RangeError);
    expect(() => new RateLimiter(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => new RateLimiter(5, { burst: -1 })).toThrow(RangeError);
    expect(() => new RateLimiter(5, { burst: 1.5 })).toThrow(RangeError);
    expect(() => new RateLimiter(5).slowDown(0)).toThrow(RangeError);
  });
});

describe('slowing down after a throttle', () => {
  it('halves the rate, then recovers in a straight line over 30 s', () => {
    const time = fakeTime(0);
    const limiter = new RateLimiter(10, { now: time.now });
    limiter.slowDown();
    expect(limiter.rate).toBe(5);
    time.advance(15_000);
    expect(limiter.rate).toBe(7.5);
    time.advance(15_000);
    expect(limiter.rate).toBe(10);
  });

  it('spaces starts by the lower rate while it lasts', () => {
    const time = fakeTime(0);
    const limiter = new RateLimiter(10, { now: time.now });
    limiter.slowDown();
    expect(startsFor(limiter, time, [0, 0, 0])).toEqual([0, 200, 400]);
    time.advance(40_000);
    expect(startsFor(limiter, time, [0, 0, 0]).map((s) => s - 40_000)).toEqual([0, 100, 200]);
  });

  it('cuts once for throttles within a second of each other (one burst of concurrent sends)', () => {
    const time = fakeTime(0);
    const limiter = new RateLimiter(10, { now: time.now });
    limiter.slowDown();
    time.advance(999);
    limiter.slowDown();
    expect(limiter.rate).toBeCloseTo(5 + (5 * 999) / 30_000);
    time.advance(1);
    limiter.slowDown();
    expect(limiter.rate).toBeCloseTo((5 + (5 * 1000) / 30_000) / 2);
  });

  it('never goes below a tenth of the rate', () => {
    const time = fakeTime(0);
    const limiter = new RateLimiter(10, { now: time.now });
    for (let i = 0; i < 20; i++) {
      time.advance(1000);
      limiter.slowDown();
    }
    expect(limiter.rate).toBe(1);
  });
});

describe('senderRate', () => {
  it('gives each sender its share of 90% of the account rate', () => {
    expect(senderRate({ ratePerSecond: 14, maxConcurrency: 2 })).toBeCloseTo(6.3);
    expect(senderRate({ ratePerSecond: 100, maxConcurrency: 3 }) * 3).toBeCloseTo(90);
  });
});
