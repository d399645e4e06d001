import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ARTICLE_MODEL_VERSION } from '../../functions/core/article.ts';
import { loadArticles } from '../../functions/pipeline/load.ts';
import { encodeManifest, MANIFEST_KEY, readManifest, writeManifest } from '../../functions/pipeline/manifest.ts';
import { MemoryStorage } from '../../functions/storage/memory.ts';
import { generateArticles } from '../support/generate-articles.ts';

const corpus = generateArticles({ count: 10, seed: 3 });

async function stored() {
  const source = new MemoryStorage();
  for (const file of corpus) source.put(file.key, file.text);
  source.put('broken.md', 'no front matter');
  const state = new MemoryStorage();
  const loaded = await loadArticles(source);
  // Records of feed files as a build leaves them, in an order other than the keys'.
  loaded.manifest.feeds.set('topics/space/feed.xml', { inputs: 'c'.repeat(32), md5: 'd'.repeat(32) });
  loaded.manifest.feeds.set('feed.xml', { inputs: 'a'.repeat(32), md5: 'b'.repeat(32) });
  await writeManifest(state, loaded.manifest);
  return { source, state, loaded };
}

describe('the manifest', () => {
  it('re-encodes to the same bytes after a round trip, so an unchanged run does not rewrite it', async () => {
    const { source, state, loaded } = await stored();
    const read = await readManifest(state, source.displayName(''));
    if (!read.manifest) throw new Error(read.fullRebuildBecause);
    expect(await encodeManifest(read.manifest)).toEqual(await encodeManifest(loaded.manifest));
    // JSON Lines: the header with the feed records by key, then each entry by key.
    const lines = gunzipSync(await encodeManifest(loaded.manifest))
      .toString('utf8')
      .split('\n');
    expect(lines.at(-1)).toBe('');
    expect(JSON.parse(lines[0]!)).toEqual({
      format: 3,
      model: ARTICLE_MODEL_VERSION,
      source: loaded.manifest.source,
      feeds: {
        'feed.xml': { inputs: 'a'.repeat(32), md5: 'b'.repeat(32) },
        'topics/space/feed.xml': { inputs: 'c'.repeat(32), md5: 'd'.repeat(32) },
      },
    });
    expect(Object.keys(JSON.parse(lines[0]!).feeds)).toEqual(['feed.xml', 'topics/space/feed.xml']);
    const keys = [...loaded.manifest.entries.keys()].sort();
    expect(lines.slice(1, -1)).toEqual(
      keys.map((key) => {
        const { version, result } = loaded.manifest.entries.get(key)!;
        return JSON.stringify([key, version, result]);
      }),
    );
    expect(keys).toHaveLength(11);
    expect(read.manifest.entries).toEqual(loaded.manifest.entries);
    expect(read.manifest.feeds).toEqual(loaded.manifest.feeds);
  });

  it('keeps rejections, so an unchanged bad file is reported without being fetched again', async () => {
    const { source, state } = await stored();
    const read = await readManifest(state, source.displayName(''));
    expect(read.manifest?.entries.get('broken.md')?.result).toEqual({
      ok: false,
      reason: 'invalid',
      problems: [{ field: 'front matter', reason: 'missing: the file must start with a line of three dashes (---)' }],
    });
  });

  it('never stores the secured value', async () => {
    const { state } = await stored();
    const json = gunzipSync(state.objects.get(MANIFEST_KEY)?.body ?? new Uint8Array()).toString('utf8');
    expect(json).not.toMatch(/secured/);
  });

  it.each([
    ['missing', undefined, 'no manifest yet'],
    ['not gzip', new TextEncoder().encode('{}'), 'manifest is corrupt'],
  ])('asks for a full rebuild when the manifest is %s', async (_case, bytes, reason) => {
    const state = new MemoryStorage();
    if (bytes) state.objects.set(MANIFEST_KEY, { body: bytes, options: { contentType: 'application/json' } });
    expect(await readManifest(state, 'memory:')).toEqual({ manifest: undefined, fullRebuildBecause: reason });
  });

  it('asks for a full rebuild when the manifest describes another source or model', async () => {
    const { state } = await stored();
    expect(await readManifest(state, 's3://elsewhere/')).toEqual({
      manifest: undefined,
      fullRebuildBecause: 'manifest describes memory:',
    });
    const old = gzipSync(JSON.stringify({ format: 1, model: 0, source: 'memory:', entries: {} }));
    state.objects.set(MANIFEST_KEY, { body: old, options: { contentType: 'application/json' } });
    expect((await readManifest(state, 'memory:')).manifest).toBeUndefined();
  });

  it.each([
    [
      'of format 2, one JSON document without feed records',
      (lines: string[]) => [JSON.stringify({ ...JSON.parse(lines[0]!), format: 2, feeds: undefined, entries: {} })],
    ],
    [
      'with a feed record without its MD5',
      (lines: string[]) => [
        JSON.stringify({ ...JSON.parse(lines[0]!), feeds: { 'feed.xml': { inputs: 'a' } } }),
        ...lines.slice(1),
      ],
    ],
    ['without its header', (lines: string[]) => lines.slice(1)],
    ['empty', () => []],
  ])('asks for a full rebuild when the manifest is %s', async (_case, change) => {
    const { state } = await stored();
    const text = gunzipSync(state.objects.get(MANIFEST_KEY)?.body ?? new Uint8Array()).toString('utf8');
    const changed = change(text.split('\n').slice(0, -1));
    state.objects.set(MANIFEST_KEY, {
      body: gzipSync(changed.map((line) => `${line}\n`).join('')),
      options: { contentType: 'application/json' },
    });
    expect(await readManifest(state, 'memory:')).toEqual({
      manifest: undefined,
      fullRebuildBecause: 'manifest has another format or article model',
    });
  });

  it.each([
    ['cut short inside a line', (_gz: Uint8Array, text: string) => gzipSync(text.slice(0, text.length - 20))],
    ['cut short inside its gzip stream', (gz: Uint8Array) => gz.subarray(0, gz.length - 100)],
    ['with a line that is not JSON', (_gz: Uint8Array, text: string) => gzipSync(text.replace(/\n\[/, '\n{['))],
  ])('asks for a full rebuild when the manifest is %s', async (_case, damage) => {
    const { state } = await stored();
    const gz = state.objects.get(MANIFEST_KEY)?.body ?? new Uint8Array();
    const body = damage(gz, gunzipSync(gz).toString('utf8'));
    state.objects.set(MANIFEST_KEY, { body, options: { contentType: 'application/json' } });
    expect(await readManifest(state, 'memory:')).toEqual({
      manifest: undefined,
      fullRebuildBecause: 'manifest is corrupt',
    });
  });
});

describe('the manifest, damaged inside', () => {
  it.each([
    ['an entry without a version', (e: Record<string, unknown>) => ({ ...e, version: undefined })],
    [
      'an article without an id',
      (e: Record<string, unknown>) => ({ ...e, result: { ok: true, warnings: [], article: {} } }),
    ],
    [
      'an unreadable date',
      (e: Record<string, unknown>) => ({
        ...e,
        result: { ok: true, warnings: [], article: { id: 'x', publishedAt: 'yesterday' } },
      }),
    ],
  ])('asks for a full rebuild when it holds %s', async (_case, damage) => {
    const source = new MemoryStorage();
    for (const file of corpus) source.put(file.key, file.text);
    const state = new MemoryStorage();
    await writeManifest(state, (await loadArticles(source)).manifest);
    const lines = gunzipSync(state.objects.get(MANIFEST_KEY)?.body ?? new Uint8Array())
      .toString('utf8')
      .split('\n');
    const [key, version, result] = JSON.parse(lines[1]!);
    const damaged: Record<string, unknown> = damage({ version, result });
    lines[1] = JSON.stringify([key, damaged.version, damaged.result]);
    state.objects.set(MANIFEST_KEY, {
      body: gzipSync(lines.join('\n')),
      options: { contentType: 'application/json' },
    });
    const read = await readManifest(state, source.displayName(''));
    expect(read.manifest).toBeUndefined();
    expect(read).toHaveProperty(
      'fullRebuildBecause',
      expect.stringMatching(/^manifest (is corrupt|has an entry of another shape)$/),
    );
  });
});
