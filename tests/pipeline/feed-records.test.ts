// Feeds left unrendered: a warm build renders only the feeds its changes reach, and never leaves a wrong file in the
// destination for it: a feed file edited or removed by hand, an edit coming due, a build that stopped before its
// manifest, a folder or an adapter that cannot tell what it holds: each gives exactly the files of a full build.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFeeds } from '../../functions/pipeline/build.ts';
import { MANIFEST_KEY } from '../../functions/pipeline/manifest.ts';
import { FsStorage } from '../../functions/storage/fs.ts';
import { MemoryStorage } from '../../functions/storage/memory.ts';
import type { Storage } from '../../functions/storage/port.ts';
import { generateArticles } from '../support/generate-articles.ts';
import { memorySite } from '../support/memory-site.ts';
import { testConfig } from '../support/site-config.ts';
import { useTempDirs } from '../support/temp-dir.ts';

const now = new Date('2026-11-24T12:00:00Z');
const tempDir = useTempDirs();
const config = testConfig({ itemLimit: 5 });
const corpus = generateArticles({ count: 120, seed: 21 });

function newSource(): MemoryStorage {
  const source = new MemoryStorage();
  for (const file of corpus) source.put(file.key, file.text);
  return source;
}

function site<D extends Storage = MemoryStorage>(source: MemoryStorage, destination?: D) {
  return memorySite({ source, config, now, ...(destination ? { destination } : {}) });
}

async function contents(storage: Storage): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for await (const entry of storage.list()) {
    if ('problem' in entry) continue;
    files.set(entry.key, new TextDecoder().decode(await storage.read(entry.key)));
  }
  return files;
}

/** What a build with no state writes from the same source at the same time. */
async function fullBuild(source: MemoryStorage, at = now): Promise<Map<string, string>> {
  const destination = new MemoryStorage();
  await buildFeeds({ source, destination, config, now: at, ping: false });
  return contents(destination);
}

/** A published article of the corpus that the site feed shows (among the newest). */
async function shownArticle(source: MemoryStorage): Promise<{ key: string; text: string }> {
  const feed = JSON.parse((await fullBuild(source)).get('feed.json') ?? '{}') as { items: { id: string }[] };
  const id = feed.items[0]?.id.split('articles/').at(-1) ?? '';
  const file = corpus.find((f) => f.key.startsWith(id));
  if (!file) throw new Error(`no file for ${id}`);
  return file;
}

describe('a warm build renders only the feeds its changes reach', () => {
  it('renders no feed when nothing changed, and the feeds of one edited article when it is edited', async () => {
    const source = newSource();
    const { request } = site(source);
    const first = await buildFeeds(request());
    expect(first.incremental.feedsRendered).toBe(first.summary.feeds);
    expect((await buildFeeds(request())).incremental).toEqual({ fetched: 0, feedsRendered: 0 });

    const edited = await shownArticle(source);
    source.put(edited.key, edited.text.replace(/^title: "/m, 'title: "Edited: '));
    const warm = await buildFeeds(request());
    // The site's feed and those of the article's topics and category (the newest article is in all of them), no other.
    const topics = /^topics:\n((?: {2}- .*\n)*)/m.exec(edited.text)?.[1]?.split('\n').filter(Boolean) ?? [];
    const category = /^category: /m.test(edited.text) ? 1 : 0;
    expect(topics.length).toBeGreaterThan(0);
    expect(warm.incremental.feedsRendered).toBe(1 + topics.length + category);
    expect(await contents(request().destination)).toEqual(await fullBuild(source));
  });

  it('renders a feed file edited or removed in the destination again', async () => {
    const source = newSource();
    const { destination, request } = site(source);
    await buildFeeds(request());
    const before = await contents(destination);
    const [topicFeed] = [...before.keys()].filter((key) => key.startsWith('topics/') && key.endsWith('atom.xml'));
    (destination as MemoryStorage).put(topicFeed!, '<feed>edited by hand</feed>');
    await destination.delete('categories/news/feed.json');
    const repair = await buildFeeds(request());
    expect(repair.incremental.feedsRendered).toBe(2);
    expect(repair.summary.outputs.written).toBe(2);
    expect(await contents(destination)).toEqual(before);
  });

  it('renders the feeds of an article again when its edit comes due, though no file changed', async () => {
    const source = newSource();
    const { key, text } = await shownArticle(source);
    const due = new Date(now.getTime() + 3_600_000);
    source.put(
      key,
      text.replace(/^publishedDateTime: .*$/m, (line) => `${line}\nupdatedDateTime: ${due.toISOString()}`),
    );
    const { destination, request } = site(source);
    await buildFeeds(request());
    expect([...(await contents(destination)).values()].join('')).not.toContain(due.toISOString().slice(0, 19));

    const later = new Date(due.getTime() + 60_000);
    const report = await buildFeeds(request({ now: later }));
    expect(report.incremental.fetched).toBe(0);
    expect(report.incremental.feedsRendered).toBeGreaterThan(0);
    const files = await contents(destination);
    expect(files.get('atom.xml')).toContain(`<updated>${due.toISOString().slice(0, 19)}`);
    expect(files).toEqual(await fullBuild(source, later));
  });

  it('repairs a feed written by a build that stopped before its manifest, even when the article is changed back', async () => {
    const source = newSource();
    const { destination, state, request } = site(source);
    await buildFeeds(request());
    const original = await shownArticle(source);
    // The second build writes the edited feeds, then cannot save its manifest: the state keeps the first one's.
    source.put(original.key, original.text.replace(/^title: "/m, 'title: "Briefly edited: '));
    const failing = new MemoryStorage();
    failing.write = async () => {
      throw new Error('state unavailable');
    };
    failing.objects.set(MANIFEST_KEY, state.objects.get(MANIFEST_KEY)!);
    await expect(buildFeeds(request({ state: failing }))).rejects.toThrow('state unavailable');
    expect([...(await contents(destination)).values()].join('')).toContain('Briefly edited');

    // Back as it was: the recorded inputs match again, but the destination no longer holds the recorded bytes.
    source.put(original.key, original.text);
    const report = await buildFeeds(request());
    expect(report.incremental.feedsRendered).toBeGreaterThan(0);
    expect([...(await contents(destination)).values()].join('')).not.toContain('Briefly edited');
    expect(await contents(destination)).toEqual(await fullBuild(source));
  });

  it('renders every feed for a destination that cannot tell what it holds', async () => {
    const source = newSource();
    const memory = new MemoryStorage();
    // The port without `holds`, as an adapter that does not implement it.
    const destination: Storage = {
      displayName: (key) => memory.displayName(key),
      list: () => memory.list(),
      read: (key) => memory.read(key),
      write: (key, body, options) => memory.write(key, body, options),
      delete: (key) => memory.delete(key),
    };
    const { request } = site(source, destination);
    await buildFeeds(request());
    const again = await buildFeeds(request());
    expect(again.incremental.feedsRendered).toBe(again.summary.feeds);
    expect(again.summary.outputs.written).toBe(0);
  });
});

describe('on a local folder', () => {
  it('leaves unchanged feeds unrendered, and renders a feed file changed on disk again', async () => {
    const root = await tempDir();
    await mkdir(join(root, 'out'));
    const source = newSource();
    const destination = new FsStorage(join(root, 'out'));
    const { request } = site(source, destination);
    await buildFeeds(request());
    expect((await buildFeeds(request())).incremental.feedsRendered).toBe(0);

    const path = join(root, 'out', 'feed.xml');
    const written = await readFile(path, 'utf8');
    // Same size, other bytes: a file's size and date would not tell.
    await writeFile(path, written.replace('<rss', '<RSS'));
    await rm(join(root, 'out', 'atom.xml'));
    const repair = await buildFeeds(request());
    expect(repair.incremental.feedsRendered).toBe(1);
    expect(await readFile(path, 'utf8')).toBe(written);
    expect(await contents(destination)).toEqual(await fullBuild(source));
  });
});
