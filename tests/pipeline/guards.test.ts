// What protects a published site from bad input and operator mistakes: the file size cap, the shrink guard, outputs
// in the way, and the list of every skipped file.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../functions/core/article.ts';
import { StorageError } from '../../functions/core/errors.ts';
import { buildFeeds } from '../../functions/pipeline/build.ts';
import { MANIFEST_KEY } from '../../functions/pipeline/manifest.ts';
import { FsStorage } from '../../functions/storage/fs.ts';
import { MemoryStorage } from '../../functions/storage/memory.ts';
import { isUnlisted, type Storage } from '../../functions/storage/port.ts';
import { numberedArticle } from '../support/article-source.ts';
import { testConfig } from '../support/site-config.ts';
import { useTempDirs } from '../support/temp-dir.ts';

const tempDir = useTempDirs();
const now = new Date('2026-11-24T12:00:00Z');

const story = (n: number, overrides: Record<string, unknown> = {}) =>
  numberedArticle(n, { topics: [`Topic ${n}`], category: `Category ${n}`, ...overrides });

function contentWith(count: number, from = 1): MemoryStorage {
  const source = new MemoryStorage();
  for (let n = from; n < from + count; n += 1) source.put(`story-${n}.md`, story(n));
  return source;
}

const build = (source: Storage, destination: Storage, extra: { allowShrink?: boolean; state?: Storage } = {}) =>
  buildFeeds({ source, destination, config: testConfig(), now, ping: false, ...extra });

function snapshot(storage: MemoryStorage): Map<string, string> {
  return new Map([...storage.objects].map(([key, object]) => [key, Buffer.from(object.body).toString('utf8')]));
}

describe('the file size cap', () => {
  it(`rejects an article over ${LIMITS.fileBytes} bytes by name, without reading it, and publishes the rest`, async () => {
    const source = contentWith(1);
    const huge = story(9, { excerpt: 'x'.repeat(LIMITS.fileBytes) });
    source.put('huge.md', huge);
    const reads: string[] = [];
    const read = source.read.bind(source);
    source.read = async (key) => {
      reads.push(key);
      return read(key);
    };
    const report = await build(source, new MemoryStorage());
    expect(report.summary.published).toBe(1);
    expect(report.rejected).toEqual([
      {
        file: 'memory:huge.md',
        reason: 'invalid',
        problems: [
          {
            field: 'file',
            reason: `${Buffer.byteLength(huge)} bytes, more than the limit of ${LIMITS.fileBytes} bytes (1 MiB); not read`,
          },
        ],
      },
    ]);
    expect(reads).toEqual(['story-1.md']);
  });

  it('checks the size after reading when the listing does not tell it', async () => {
    const source = contentWith(1);
    source.put('huge.md', `${story(9)}\n${'x'.repeat(LIMITS.fileBytes)}`);
    const sizeless: Storage = {
      displayName: (key) => source.displayName(key),
      read: (key) => source.read(key),
      write: (key, body, options) => source.write(key, body, options),
      delete: (key) => source.delete(key),
      async *list() {
        for await (const entry of source.list())
          yield isUnlisted(entry) ? entry : { key: entry.key, version: entry.version };
      },
    };
    const report = await build(sizeless, new MemoryStorage());
    expect(report.summary.published).toBe(1);
    expect(report.rejected[0]?.problems[0]?.reason).toMatch(/^\d+ bytes, more than the limit of 1048576 bytes/);
  });

  it('accepts a file of exactly the limit', async () => {
    const source = new MemoryStorage();
    const text = story(1);
    source.put('exact.md', `${text}${' '.repeat(LIMITS.fileBytes - Buffer.byteLength(text))}`);
    expect((await build(source, new MemoryStorage())).summary.published).toBe(1);
  });
});

describe('the shrink guard', () => {
  it('refuses a build that would publish nothing where feeds exist, and leaves the site exactly as it was', async () => {
    const destination = new MemoryStorage();
    const state = new MemoryStorage();
    await build(contentWith(3), destination, { state });
    const before = snapshot(destination);
    const manifest = state.text(MANIFEST_KEY);

    const empty = new MemoryStorage();
    empty.put('README.md', 'not an article');
    const report = await build(empty, destination, { state });
    expect(report.refused).toEqual({
      code: 'ShrinkRefused',
      reason: 'the build would publish no article where feeds exist',
      existingFeeds: 6,
      deletedFeeds: 6,
      published: 0,
    });
    expect(report.summary.outputs).toEqual({ written: 0, unchanged: 0, deleted: 0 });
    expect(snapshot(destination)).toEqual(before);
    expect(state.text(MANIFEST_KEY)).toBe(manifest);
  });

  it('refuses to delete more than half of the topic and category feeds, past five of them', async () => {
    const destination = new MemoryStorage();
    await build(contentWith(4), destination); // 8 channel feeds
    const before = snapshot(destination);
    const report = await build(contentWith(1), destination); // would delete 6 of 8
    expect(report.refused?.reason).toBe('the build would delete 6 of the 8 topic and category feeds');
    expect(snapshot(destination)).toEqual(before);
  });

  it('lets a small change through: one article going away on a small site', async () => {
    const destination = new MemoryStorage();
    await build(contentWith(3), destination);
    const report = await build(contentWith(2), destination); // deletes 2 of 6
    expect(report.refused).toBeUndefined();
    expect(report.summary.outputs.deleted).toBe(6);
  });

  it('builds anyway with allowShrink, and the empty feeds are dated by the build, not 1970', async () => {
    const destination = new MemoryStorage();
    await build(contentWith(3), destination);
    const report = await build(new MemoryStorage(), destination, { allowShrink: true });
    expect(report.refused).toBeUndefined();
    expect(report.summary.outputs.deleted).toBe(18);
    expect(destination.text('atom.xml')).toContain('<updated>2026-11-24T12:00:00Z</updated>');
    for (const [key, text] of snapshot(destination)) expect(text, key).not.toMatch(/1970|Thu, 01 Jan/);
  });

  it('does not stand in the way of a new site, or of a site that was already empty', async () => {
    const destination = new MemoryStorage();
    expect((await build(new MemoryStorage(), destination)).refused).toBeUndefined();
    expect(destination.text('feed.json')).toContain('"items": []');
    expect((await build(new MemoryStorage(), destination)).refused).toBeUndefined();
  });
});

describe('outputs in the way', () => {
  async function siteFolder(prepare: (root: string) => Promise<void>) {
    const root = await tempDir();
    await prepare(root);
    const before = await readdir(root, { recursive: true });
    const outcome = await build(contentWith(2), new FsStorage(root)).catch((error: unknown) => error);
    return { root, outcome, before, after: await readdir(root, { recursive: true }) };
  }

  it('stops before writing anything when a folder stands where a feed file goes', async () => {
    const { root, outcome, before, after } = await siteFolder(async (root) => {
      await mkdir(join(root, 'feed.xml'));
      await writeFile(join(root, 'feed.xml', 'note.txt'), 'in the way');
    });
    expect(outcome).toBeInstanceOf(StorageError);
    expect((outcome as StorageError).message).toBe(
      `Cannot publish to ${root}:\n  ${join(root, 'feed.xml')}: a folder is in the way; move or remove it`,
    );
    expect(after).toEqual(before);
  });

  it('stops before writing anything when a file stands where the topics folder goes', async () => {
    const { root, outcome, before, after } = await siteFolder((root) => writeFile(join(root, 'topics'), 'a file'));
    expect((outcome as StorageError).message).toBe(
      `Cannot publish to ${root}:\n  ${join(root, 'topics')}: a file stands where a folder must go; move or remove it`,
    );
    expect(after).toEqual(before);
  });

  it('finds an empty folder in the way too, and every obstacle at once', async () => {
    const { root, outcome, before, after } = await siteFolder(async (root) => {
      await mkdir(join(root, 'atom.xml'));
      await mkdir(join(root, 'categories'));
      await writeFile(join(root, 'categories', 'category-1'), 'a file');
    });
    expect((outcome as StorageError).message.split('\n')).toEqual([
      `Cannot publish to ${root}:`,
      `  ${join(root, 'atom.xml')}: a folder is in the way; move or remove it`,
      `  ${join(root, 'categories', 'category-1')}: a file stands where a folder must go; move or remove it`,
    ]);
    expect(after).toEqual(before);
  });

  it('puts no such check on a store without files and folders (S3: `topics` and `topics/x` can both exist)', async () => {
    const destination = new MemoryStorage();
    destination.put('topics', 'an object named like a folder');
    expect((await build(contentWith(1), destination)).summary.outputs.written).toBeGreaterThan(0);
  });
});

describe('the list of skipped files', () => {
  it('names every valid article that was not published, with its reason, and what a duplicate duplicates', async () => {
    const source = contentWith(1);
    source.put('draft.md', story(2, { published: false }));
    source.put('weak.md', story(3, { quality: 10 }));
    source.put('later.md', story(4, { publishedDateTime: '2026-12-03T08:00:00Z' }));
    source.put(
      'copy.md',
      story(5, { originalUrl: 'https://news.example.org/1', publishedDateTime: '2026-11-21T09:30:00Z' }),
    );
    const report = await build(source, new MemoryStorage());
    expect(report.skipped).toEqual([
      { file: 'memory:copy.md', reason: 'duplicate', duplicateOf: 'memory:story-1.md' },
      { file: 'memory:draft.md', reason: 'unpublished' },
      { file: 'memory:later.md', reason: 'scheduled' },
      { file: 'memory:weak.md', reason: 'belowQuality' },
    ]);
  });
});
