import { describe, expect, it } from 'vitest';
import { StorageError } from '../../functions/core/errors.ts';
import { buildFeeds } from '../../functions/pipeline/build.ts';
import { MemoryStorage } from '../../functions/storage/memory.ts';
import { numberedArticle, SECRET } from '../support/article-source.ts';
import { testConfig } from '../support/site-config.ts';

const now = new Date('2026-11-24T12:00:00Z');

function contentWith(files: Record<string, string>): MemoryStorage {
  const source = new MemoryStorage();
  for (const [key, text] of Object.entries(files)) source.put(key, text);
  return source;
}

const story = (n: number, overrides: Record<string, unknown> = {}) =>
  numberedArticle(n, {
    publishedDateTime: `2026-11-${String(10 + n).padStart(2, '0')}T09:00:00Z`,
    topics: [`Topic ${n % 2}`],
    ...overrides,
  });

async function build(source: MemoryStorage, destination = new MemoryStorage()) {
  const report = await buildFeeds({ source, destination, config: testConfig(), now, cacheControl: 'max-age=300' });
  return { report, destination };
}

describe('buildFeeds', () => {
  it('publishes every good article when one file is corrupt, and names the bad one', async () => {
    const source = contentWith({
      'a.md': story(1),
      'b.md': story(2, { quality: 'high' }),
      'c.md': story(3),
      'notes.txt': 'not an article',
    });
    const { report, destination } = await build(source);
    expect(report.summary.read).toBe(3);
    expect(report.summary.published).toBe(2);
    expect(report.summary.skipped.invalid).toBe(1);
    expect(report.rejected).toEqual([
      {
        file: 'memory:b.md',
        reason: 'invalid',
        problems: [{ field: 'quality', reason: 'expected a number from 0 to 100, got "high"' }],
      },
    ]);
    const items = JSON.parse(destination.text('feed.json') ?? '').items.map((i: { title: string }) => i.title);
    expect(items).toEqual(['Story 3', 'Story 1']);
  });

  it('counts every skip reason in the summary', async () => {
    const source = contentWith({
      'ok.md': story(1),
      'draft.md': story(2, { published: false }),
      'weak.md': story(3, { quality: 10 }),
      'later.md': story(4, { publishedDateTime: '2026-12-03T08:00:00Z' }),
      'copy.md': story(5, { originalUrl: 'https://news.example.org/1' }),
      'bad.md': 'no front matter',
      'warn.md': story(6, { images: [{ url: 'file:///etc/passwd' }] }),
    });
    const { report } = await build(source);
    expect(report.summary).toMatchObject({
      read: 7,
      published: 2,
      skipped: { invalid: 1, unreadable: 0, unpublished: 1, belowQuality: 1, scheduled: 1, duplicate: 1 },
      warnings: 1,
    });
  });

  it('reports an unreadable object and still publishes the rest', async () => {
    const source = contentWith({ 'a.md': story(1), 'locked.md': story(2) });
    const read = source.read.bind(source);
    source.read = async (key) => {
      if (key === 'locked.md') throw new StorageError('Cannot read memory:locked.md: access denied', 'Unreadable');
      return read(key);
    };
    const { report } = await build(source);
    expect(report.summary.published).toBe(1);
    expect(report.rejected[0]).toMatchObject({ file: 'memory:locked.md', reason: 'unreadable' });
    expect(report.rejected[0]?.problems[0]?.reason).toContain('access denied');
  });

  it('rejects a file that is not UTF-8 text', async () => {
    const source = contentWith({ 'a.md': story(1) });
    source.objects.set('latin1.md', {
      body: Uint8Array.from([0x2d, 0x2d, 0x2d, 0x0a, 0xe9, 0xff]),
      options: { contentType: 'text/markdown' },
    });
    const { report } = await build(source);
    expect(report.rejected).toEqual([
      { file: 'memory:latin1.md', reason: 'invalid', problems: [{ field: 'file', reason: 'not valid UTF-8 text' }] },
    ]);
  });

  it('writes nothing the second time when nothing changed', async () => {
    const source = contentWith({ 'a.md': story(1), 'b.md': story(2) });
    const { destination, report: first } = await build(source);
    const { report: second } = await build(source, destination);
    expect(first.summary.outputs.written).toBeGreaterThan(0);
    expect(second.summary.outputs).toEqual({ written: 0, unchanged: first.summary.outputs.written, deleted: 0 });
  });

  it('removes the feeds of a topic whose last article was deleted, and drops the article from the site feed', async () => {
    const source = contentWith({ 'a.md': story(1), 'b.md': story(2) });
    const { destination } = await build(source);
    expect(destination.text('topics/topic-1/feed.xml')).toBeDefined();
    source.objects.delete('a.md');
    const { report } = await build(source, destination);
    expect(report.summary.outputs.deleted).toBe(3);
    expect(destination.text('topics/topic-1/feed.xml')).toBeUndefined();
    expect(destination.text('feed.json')).not.toContain('Story 1');
    expect(destination.text('index.html')).not.toContain('topics/topic-1/');
  });

  it('leaves files it does not own in the destination alone', async () => {
    const destination = new MemoryStorage();
    destination.put('topics/readme.txt', 'keep me');
    destination.put('robots.txt', 'keep me too');
    await build(contentWith({ 'a.md': story(1) }), destination);
    expect(destination.text('topics/readme.txt')).toBe('keep me');
    expect(destination.text('robots.txt')).toBe('keep me too');
  });

  it('stores each output with its content type and the cache policy', async () => {
    const { destination } = await build(contentWith({ 'a.md': story(1) }));
    expect(destination.objects.get('feed.xml')?.options).toEqual({
      contentType: 'application/rss+xml; charset=utf-8',
      cacheControl: 'max-age=300',
    });
    expect(destination.objects.get('atom.xml')?.options.contentType).toBe('application/atom+xml; charset=utf-8');
    expect(destination.objects.get('feed.json')?.options.contentType).toBe('application/feed+json; charset=utf-8');
    expect(destination.objects.get('index.html')?.options.contentType).toBe('text/html; charset=utf-8');
  });

  it('never writes the secured value anywhere', async () => {
    const { destination, report } = await build(contentWith({ 'a.md': story(1), 'b.md': story(2, { quality: 'x' }) }));
    for (const [key, object] of destination.objects) {
      expect(Buffer.from(object.body).toString('utf8'), key).not.toContain(SECRET.slice(0, 24));
    }
    expect(JSON.stringify(report)).not.toContain(SECRET.slice(0, 24));
  });
});
