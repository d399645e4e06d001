// Facts for every article, the whole article only where an output shows it: the outputs never depend on which
// articles were kept whole, a warm build reads and renders nothing again, and the manifest holds the whole article
// only for the articles the feeds show.
import { describe, expect, it } from 'vitest';
import { type BuildRequest, buildFeeds } from '../../functions/pipeline/build.ts';
import { loadArticles } from '../../functions/pipeline/load.ts';
import { MANIFEST_KEY } from '../../functions/pipeline/manifest.ts';
import { MemoryStorage } from '../../functions/storage/memory.ts';
import { generateArticles } from '../support/generate-articles.ts';
import { storedEntries } from '../support/manifest-file.ts';
import { memorySite } from '../support/memory-site.ts';
import { testConfig } from '../support/site-config.ts';

const now = new Date('2026-11-24T12:00:00Z');
const config = testConfig({ itemLimit: 5 });
const corpus = generateArticles({ count: 80, seed: 11 });

/** A source that counts its reads per key, and can answer a key with other text from its nth read on. */
class CountingSource extends MemoryStorage {
  readonly reads = new Map<string, number>();
  readonly replaced = new Map<string, { fromRead: number; text: string }>();
  override async read(key: string): Promise<Uint8Array> {
    const count = (this.reads.get(key) ?? 0) + 1;
    this.reads.set(key, count);
    const replacement = this.replaced.get(key);
    if (replacement && count >= replacement.fromRead) return new TextEncoder().encode(replacement.text);
    return super.read(key);
  }
  get totalReads(): number {
    return [...this.reads.values()].reduce((a, b) => a + b, 0);
  }
}

function newSource(files = corpus): CountingSource {
  const source = new CountingSource();
  for (const file of files) source.put(file.key, file.text);
  return source;
}

/** Enough articles that many are in no feed at all (30 topics, 6 categories, 5 items each). */
const large = generateArticles({ count: 600, seed: 12 });

const mayShow = (a: { published: boolean; quality: number }) => a.published && a.quality >= config.minQuality;

function site(
  source: CountingSource,
  extra: Partial<Omit<BuildRequest, 'destination' | 'state'>> & { state?: MemoryStorage } = {},
) {
  return memorySite({ source, config, now, ...extra });
}

const texts = (storage: MemoryStorage) =>
  new Map([...storage.objects].map(([key, { body }]) => [key, new TextDecoder().decode(body)]));

function manifestEntries(state: MemoryStorage) {
  const body = state.objects.get(MANIFEST_KEY)?.body;
  if (!body) throw new Error('no manifest');
  return storedEntries(body);
}

describe('the whole article only where an output shows it', () => {
  it('gives the same outputs whether every parsed article was kept whole or none (each shown one read again)', async () => {
    const keptAll = newSource();
    const all = site(keptAll);
    await buildFeeds(all.request());
    expect(keptAll.totalReads).toBe(corpus.length);

    const keptNone = newSource();
    const none = site(keptNone);
    const loaded = await loadArticles(keptNone, { mayShow, freshLimit: 0 });
    await buildFeeds(none.request({ loaded }));
    expect(texts(none.destination)).toEqual(texts(all.destination));
    // Every shown article was read twice: once to learn its facts, once for the rest.
    const twice = [...keptNone.reads.values()].filter((n) => n === 2).length;
    expect(twice).toBeGreaterThan(config.itemLimit);
    expect(keptNone.totalReads).toBe(corpus.length + twice);

    const keptOne = newSource();
    const one = site(keptOne);
    await buildFeeds(one.request({ loaded: await loadArticles(keptOne, { mayShow, freshLimit: 1 }) }));
    expect(texts(one.destination)).toEqual(texts(all.destination));
  });

  it('keeps the rendered article in the manifest for exactly the articles the feeds show, facts for the rest', async () => {
    const source = newSource();
    const { destination, state, request } = site(source);
    await buildFeeds(request());
    const feeds = texts(destination);
    const shownIds = new Set<string>();
    for (const [key, body] of feeds) {
      if (!key.endsWith('feed.json')) continue;
      for (const item of JSON.parse(body).items) shownIds.add(item.id.split(':articles/')[1]);
    }
    const entries = Object.values(manifestEntries(state));
    const rendered = entries.flatMap((e) => {
      const article = e.result.article as { id: string; bodyHtml?: string } | undefined;
      return article?.bodyHtml === undefined ? [] : [article.id];
    });
    expect(new Set(rendered)).toEqual(shownIds);
    for (const entry of entries) {
      const article = entry.result.article as Record<string, unknown> | undefined;
      if (!article || 'bodyHtml' in article) continue;
      expect(Object.keys(article)).not.toContain('title');
      expect(Object.keys(article)).not.toContain('body');
      expect(Object.keys(article)).not.toContain('excerpt');
    }
  });

  it('reads nothing on a warm build, and after a deletion reads only the articles that newly enter an output', async () => {
    const source = newSource(large);
    const { destination, state, request } = site(source);
    await buildFeeds(request());
    source.reads.clear();
    const warm = await buildFeeds(request());
    expect(source.totalReads).toBe(0);
    expect(warm.summary.outputs.written).toBe(0);

    const renderedIds = () =>
      new Set(
        Object.values(manifestEntries(state)).flatMap((e) => {
          const article = e.result.article as { id: string; bodyHtml?: string } | undefined;
          return article?.bodyHtml === undefined ? [] : [article.id];
        }),
      );
    const before = renderedIds();
    // Delete the newest articles of every category feed: older ones move into the feeds.
    const deleted = new Set<string>();
    for (const [key, body] of texts(destination)) {
      if (!key.startsWith('categories/') || !key.endsWith('feed.json')) continue;
      for (const item of JSON.parse(body).items.slice(0, 2)) deleted.add(item.id.split(':articles/')[1]);
    }
    for (const id of deleted) source.objects.delete(`${id}.md`);
    const after = await buildFeeds(request());
    expect(after.incremental.fetched).toBe(0);
    const entered = [...renderedIds()].filter((id) => !before.has(id));
    expect(entered.length).toBeGreaterThan(0);
    expect(new Map(source.reads)).toEqual(new Map(entered.map((id) => [`${id}.md`, 1])));

    // And the outputs are those of a build from scratch without the deleted files.
    const scratch = newSource(large);
    for (const id of deleted) scratch.objects.delete(`${id}.md`);
    const fresh = site(scratch);
    await buildFeeds(fresh.request());
    expect(texts(destination)).toEqual(texts(fresh.destination));
  });

  it('leaves out an article that turned invalid between the listing and its second read, and says so', async () => {
    const source = newSource();
    const { destination, request } = site(source);
    const reference = site(newSource());
    await buildFeeds(reference.request());
    const newestId: string = JSON.parse(texts(reference.destination).get('feed.json') ?? '{}').items[0].id.split(
      ':articles/',
    )[1];
    source.replaced.set(`${newestId}.md`, { fromRead: 2, text: '---\ntitle: [unclosed\n---\n' });

    const report = await buildFeeds(request({ loaded: await loadArticles(source, { mayShow, freshLimit: 0 }) }));
    const lost = report.rejected.find((r) => r.file.includes(newestId));
    expect(lost?.reason).toBe('unreadable');
    expect(lost?.problems[0]?.reason).toMatch(/^changed during the build: invalid YAML/);
    const ids = JSON.parse(texts(destination).get('feed.json') ?? '{}').items.map((i: { id: string }) => i.id);
    expect(ids.some((id: string) => id.endsWith(`:articles/${newestId}`))).toBe(false);
    expect(ids).toHaveLength(config.itemLimit);
  });
});

describe('a second build of the same run', () => {
  /** A state that counts the writes of each key. */
  class CountingState extends MemoryStorage {
    readonly writes = new Map<string, number>();
    override async write(key: string, body: Uint8Array, options: Parameters<MemoryStorage['write']>[2]) {
      this.writes.set(key, (this.writes.get(key) ?? 0) + 1);
      return super.write(key, body, options);
    }
  }

  it("from the first build's articles (the CLI after a new digest issue) encodes and writes no manifest again", async () => {
    const state = new CountingState();
    const { request } = site(newSource(), { state });
    const first = await buildFeeds(request());
    expect(state.writes.get(MANIFEST_KEY)).toBe(1);
    const stored = state.objects.get(MANIFEST_KEY)?.body;
    const second = await buildFeeds(request({ loaded: first.loaded }));
    expect(state.writes.get(MANIFEST_KEY)).toBe(1);
    expect(state.objects.get(MANIFEST_KEY)?.body).toBe(stored);
    expect(second.summary.outputs.written).toBe(0);
  });

  it('writes the manifest from articles loaded outside a build, which no state holds yet', async () => {
    const state = new CountingState();
    const { request } = site(newSource(), { state });
    const loaded = await loadArticles(newSource(), { mayShow });
    const report = await buildFeeds(request({ loaded }));
    expect(report.refused).toBeUndefined();
    expect(state.writes.get(MANIFEST_KEY)).toBe(1);
  });
});
