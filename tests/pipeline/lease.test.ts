// The build lease: one contract for every adapter (DynamoDB on dynalite, a local folder), the race it exists for
// (builds started together never overlap, and every trigger is covered by a build that started after it), and the
// locked build on in-memory storage.
import { access, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { type Lease, type LeaseOutcome, underLease } from '../../functions/pipeline/lease.ts';
import { buildFeedsUnderLease } from '../../functions/pipeline/locked-build.ts';
import { DynamoLease } from '../../functions/storage/dynamo-lease.ts';
import { FileLease } from '../../functions/storage/file-lease.ts';
import { MemoryStorage } from '../../functions/storage/memory.ts';
import type { StoredObject } from '../../functions/storage/port.ts';
import { numberedArticle } from '../support/article-source.ts';
import { newLeaseTable, testDocumentClient } from '../support/dynamo.ts';
import { testConfig } from '../support/site-config.ts';
import { useTempDirs } from '../support/temp-dir.ts';

const MINUTE = 60_000;
const at = (iso: string) => new Date(iso);
const t0 = at('2026-11-24T12:00:00Z');
const later = (ms: number) => new Date(t0.getTime() + ms);
const clock = () => new Date();

const documents = testDocumentClient();
const tempDir = useTempDirs();

/** Each call gives a handle on one fresh lease, as separate runs (containers, processes) would each open it. */
type LeaseFactory = () => Promise<() => Lease>;

const adapters: [string, LeaseFactory][] = [
  [
    'DynamoLease (dynalite)',
    async () => {
      const table = await newLeaseTable(documents, 'leases');
      return () => new DynamoLease(documents, table, 'feed-builder');
    },
  ],
  [
    'FileLease (a temporary folder)',
    async () => {
      const folder = await tempDir();
      return () => new FileLease(folder, 'feed-builder');
    },
  ],
];

/**
 * A build that records when it ran. Every trigger and build start draws the next number of one sequence: a trigger is
 * covered when some build started after it (so it read what the trigger announced).
 */
function recorder(buildMs = 15) {
  let sequence = 0;
  let running = 0;
  const record = { overlaps: 0, starts: [] as number[], arrivals: [] as number[] };
  const build = async () => {
    record.starts.push(++sequence);
    running += 1;
    if (running > 1) record.overlaps += 1;
    await sleep(buildMs);
    running -= 1;
    return sequence;
  };
  const trigger = (lease: Lease, owner: string) => {
    record.arrivals.push(++sequence);
    return underLease(lease, owner, clock, MINUTE, build);
  };
  const uncovered = () => record.arrivals.filter((arrival) => !record.starts.some((start) => start > arrival));
  return { record, trigger, uncovered };
}

/** Waits `n` trips to the file system (each about one step of a file lease), to shift two concurrent calls. */
async function hops(n: number) {
  for (let i = 0; i < n; i++) await access(tmpdir());
}

/** `lease` with some of its methods replaced, to play one interleaving of two runs exactly. */
function delegate(lease: Lease, replaced: Partial<Lease>): Lease {
  return {
    acquire: (owner, now, ttlMs) => lease.acquire(owner, now, ttlMs),
    markDirty: (now) => lease.markDirty(now),
    takeDirty: (owner, now, ttlMs) => lease.takeDirty(owner, now, ttlMs),
    release: (owner) => lease.release(owner),
    abandon: (owner) => lease.abandon(owner),
    ...replaced,
  };
}

const rounds = (outcomes: LeaseOutcome<unknown>[]) =>
  outcomes.reduce((sum, outcome) => sum + (outcome.ran ? outcome.results.length : 0), 0);

describe.each(adapters)('%s', (_name, open) => {
  it('is taken, given up, and then free for another owner', async () => {
    const lease = (await open())();
    expect(await lease.acquire('a', t0, MINUTE)).toBe(true);
    expect(await lease.release('a')).toBe(true);
    expect(await lease.acquire('b', t0, MINUTE)).toBe(true);
  });

  it('refuses a second owner while held, and lets its holder renew it', async () => {
    const handle = await open();
    expect(await handle().acquire('a', t0, MINUTE)).toBe(true);
    expect(await handle().acquire('b', later(1000), MINUTE)).toBe(false);
    expect(await handle().acquire('a', later(2000), MINUTE)).toBe(true);
    expect(await handle().acquire('b', later(MINUTE + 1000), MINUTE)).toBe(false);
  });

  it('lets an expired lease (a crashed holder) be taken over', async () => {
    const handle = await open();
    expect(await handle().acquire('crashed', t0, MINUTE)).toBe(true);
    expect(await handle().acquire('next', later(MINUTE + 1), MINUTE)).toBe(true);
    expect(await handle().takeDirty('crashed', later(MINUTE + 2), MINUTE)).toBe(false);
    expect(await handle().release('crashed')).toBe(true); // not its lease any more: nothing to give up
    expect(await handle().acquire('third', later(MINUTE + 3), MINUTE)).toBe(false);
  });

  it('passes a mark to the holder once, and extends the lease when the holder asks', async () => {
    const handle = await open();
    expect(await handle().acquire('holder', t0, MINUTE)).toBe(true);
    expect(await handle().takeDirty('holder', later(1), MINUTE)).toBe(false);
    expect(await handle().markDirty(later(2))).toBe(true);
    expect(await handle().takeDirty('someone else', later(3), MINUTE)).toBe(false);
    expect(await handle().takeDirty('holder', later(MINUTE - 1), MINUTE)).toBe(true);
    expect(await handle().takeDirty('holder', later(MINUTE), MINUTE)).toBe(false);
    // Extended from the last takeDirty: still held past the first expiry.
    expect(await handle().acquire('other', later(MINUTE + 10), MINUTE)).toBe(false);
  });

  it('answers a mark with false when no live holder would see it', async () => {
    const handle = await open();
    expect(await handle().markDirty(t0)).toBe(false);
    await handle().acquire('gone', t0, MINUTE);
    expect(await handle().markDirty(later(MINUTE + 1))).toBe(false);
  });

  it('refuses to be given up while a mark is set; the holder keeps it until it took the mark', async () => {
    const handle = await open();
    await handle().acquire('holder', t0, MINUTE);
    await handle().markDirty(later(1));
    expect(await handle().release('holder')).toBe(false);
    expect(await handle().acquire('other', later(2), MINUTE)).toBe(false);
    expect(await handle().takeDirty('holder', later(3), MINUTE)).toBe(true);
    expect(await handle().release('holder')).toBe(true);
    expect(await handle().acquire('other', later(4), MINUTE)).toBe(true);
  });

  it('is abandoned even with a mark set, and only by its holder', async () => {
    const handle = await open();
    await handle().acquire('holder', t0, MINUTE);
    await handle().markDirty(later(1));
    await handle().abandon('someone else');
    expect(await handle().acquire('other', later(2), MINUTE)).toBe(false);
    await handle().abandon('holder');
    expect(await handle().acquire('other', later(3), MINUTE)).toBe(true);
  });

  it('never lets a release and a mark made at the same time both succeed (the mark would be lost)', async () => {
    const handle = await open();
    for (let i = 0; i < 150; i++) {
      const holder = `holder-${i}`;
      expect(await handle().acquire(holder, clock(), MINUTE)).toBe(true);
      const [released, marked] = await Promise.all([
        hops(i % 6).then(() => handle().release(holder)),
        hops(Math.floor(i / 6) % 6).then(() => handle().markDirty(clock())),
      ]);
      expect({ i, released, marked }).not.toMatchObject({ released: true, marked: true });
      if (!released) {
        await handle().takeDirty(holder, clock(), MINUTE);
        expect(await handle().release(holder)).toBe(true);
      }
    }
  });

  it('builds once more for a mark set after its last look, before it lets go', async () => {
    const handle = await open();
    const lease = handle();
    let marks = 0;
    // The late trigger marks the lease just after the holder's first (empty) look for marks.
    const holder = delegate(lease, {
      takeDirty: async (owner, now, ttlMs) => {
        const dirty = await lease.takeDirty(owner, now, ttlMs);
        if (!dirty && marks++ === 0) expect(await handle().markDirty(clock())).toBe(true);
        return dirty;
      },
    });
    let built = 0;
    const outcome = await underLease(holder, 'holder', clock, MINUTE, async () => ++built);
    expect(outcome).toEqual({ ran: true, results: [1, 2] });
  });

  it('takes the lease itself when the holder lets go between its failed acquire and its mark', async () => {
    const handle = await open();
    await handle().acquire('holder', clock(), MINUTE);
    const lease = handle();
    let refusals = 0;
    const late = delegate(lease, {
      acquire: async (owner, now, ttlMs) => {
        const taken = await lease.acquire(owner, now, ttlMs);
        if (!taken && refusals++ === 0) expect(await handle().release('holder')).toBe(true);
        return taken;
      },
    });
    // It builds (a folder lease may find the mark it left in vain and build twice: harmless, never lost).
    const outcome = await underLease(late, 'late', clock, MINUTE, async () => 'built');
    expect(outcome).toMatchObject({ ran: true, results: expect.arrayContaining(['built']) });
  });

  it('runs two builds started together one after the other, the second as another round of the first', async () => {
    const handle = await open();
    const { record, trigger, uncovered } = recorder(50);
    const outcomes = await Promise.all([trigger(handle(), 'first'), trigger(handle(), 'second')]);
    expect(record.overlaps).toBe(0);
    expect(uncovered()).toEqual([]);
    expect(outcomes.filter((o) => !o.ran)).toEqual([{ ran: false }]);
    expect(outcomes.find((o) => o.ran)).toMatchObject({ ran: true, results: [expect.any(Number), expect.any(Number)] });
    expect(await handle().acquire('afterwards', clock(), MINUTE)).toBe(true);
  });

  it('never runs two of ten builds started together at once, and covers every one', async () => {
    const handle = await open();
    const { record, trigger, uncovered } = recorder();
    const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => trigger(handle(), `run-${i}`)));
    expect(record.overlaps).toBe(0);
    expect(uncovered()).toEqual([]);
    expect(outcomes.filter((o) => o.ran).length).toBeGreaterThanOrEqual(1);
    expect(rounds(outcomes)).toBeLessThan(10);
    expect(await handle().acquire('afterwards', clock(), MINUTE)).toBe(true);
  });

  it('covers every one of twenty builds arriving while others run and give the lease up', async () => {
    const handle = await open();
    const { record, trigger, uncovered } = recorder(8);
    // Spread over about three builds' time, so arrivals fall before, during and right after releases.
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        await sleep((i * 7) % 25);
        return trigger(handle(), `run-${i}`);
      }),
    );
    expect(record.overlaps).toBe(0);
    expect(uncovered()).toEqual([]);
    expect(outcomes.every((o) => !o.ran || !o.unfinished)).toBe(true);
  });

  it('gives the lease up when a build fails, and lets the error through', async () => {
    const handle = await open();
    const failing = underLease(handle(), 'failing', clock, MINUTE, () => Promise.reject(new Error('disk full')));
    await expect(failing).rejects.toThrow('disk full');
    expect(await handle().acquire('retry', clock(), MINUTE)).toBe(true);
  });

  it('stops after its last allowed round, gives the lease up and says so', async () => {
    const handle = await open();
    // Every round finds a new mark, as if triggers never stopped coming.
    const build = async () => handle().markDirty(clock());
    const outcome = await underLease(handle(), 'busy', clock, MINUTE, build, { maxRounds: 3 });
    expect(outcome).toEqual({ ran: true, results: [true, true, true], unfinished: true });
    expect(await handle().acquire('next', clock(), MINUTE)).toBe(true);
  });
});

describe('FileLease', () => {
  it('takes over the lease of a process that no longer runs, before it expires', async () => {
    const folder = await tempDir();
    // A pid far above any pid_max: no such process.
    const dead = { owner: 'crashed', expiresAtMs: later(MINUTE).getTime(), pid: 2 ** 30, host: hostname() };
    await writeFile(join(folder, 'feed-builder.lease'), JSON.stringify(dead));
    const lease = new FileLease(folder, 'feed-builder');
    expect(await lease.markDirty(t0)).toBe(false);
    expect(await lease.acquire('next', t0, MINUTE)).toBe(true);
  });
});

/** A promise and its resolve (Promise.withResolvers needs Node 22). */
function signal() {
  let resolve = () => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/** Content whose first listing waits for `gate`: the test then acts while a build is reading. */
class GatedSource extends MemoryStorage {
  private listed = 0;
  readonly firstListing = signal();
  readonly gate = signal();

  override async *list(): AsyncIterable<StoredObject> {
    if (this.listed++ === 0) {
      this.firstListing.resolve();
      await this.gate.promise;
    }
    yield* super.list();
  }
}

describe('buildFeedsUnderLease', () => {
  it('builds again for a file added by a build that arrived during the first, which returns at once', async () => {
    const folder = await tempDir();
    const source = new GatedSource();
    source.put('a.md', numberedArticle(1, { publishedDateTime: '2026-11-20T09:00:00Z' }));
    const destination = new MemoryStorage();
    const state = new MemoryStorage();
    const request = (owner: string) => ({
      source,
      destination,
      state,
      config: testConfig(),
      now: at('2026-11-24T12:00:00Z'),
      lease: new FileLease(folder, 'feeds'),
      owner,
      clock,
    });

    const first = buildFeedsUnderLease(request('first'));
    await source.firstListing.promise; // the first build holds the lease and is reading
    source.put('b.md', numberedArticle(2, { publishedDateTime: '2026-11-21T09:00:00Z' }));
    expect(await buildFeedsUnderLease(request('second'))).toEqual({ ran: false });
    source.gate.resolve();

    const result = await first;
    expect(result).toMatchObject({ ran: true, rounds: 2, report: { summary: { published: 2 } } });
    const titles = JSON.parse(destination.text('feed.json') ?? '').items.map((i: { title: string }) => i.title);
    expect(titles).toEqual(['Story 2', 'Story 1']);
  });
});
