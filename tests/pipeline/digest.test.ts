import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { StorageError } from '../../functions/core/errors.ts';
import { buildFeeds } from '../../functions/pipeline/build.ts';
import { type DigestRequest, prepareDigest } from '../../functions/pipeline/digest.ts';
import { DIGEST_STATE_KEY, recordKey } from '../../functions/pipeline/digest-state.ts';
import { MemoryStorage } from '../../functions/storage/memory.ts';
import type { Storage, WriteOptions } from '../../functions/storage/port.ts';
import { createTokenSigner, generateKeyringText, parseKeyring } from '../../functions/subscribers/tokens.ts';
import { numberedArticle, SECRET } from '../support/article-source.ts';
import { type DigestConfig, digestConfig } from '../support/digest.ts';
import { strictXmlErrors, validateAtom, validateJsonFeed } from '../support/validators.ts';

const signer = createTokenSigner(parseKeyring(generateKeyringText(), 'test keys'));
/** Monday 23 November 2026, 07:00 in Berlin is 06:00Z: week 48's issue time. */
const W48 = new Date('2026-11-23T09:00:00Z');
const W49 = new Date('2026-11-30T09:00:00Z');
const W50 = new Date('2026-12-07T09:00:00Z');

const story = (n: number, date: string, overrides: Record<string, unknown> = {}) =>
  numberedArticle(n, { publishedDateTime: date, provider: { name: `P${n}`, domain: `p${n}.example` }, ...overrides });

interface World {
  source: MemoryStorage;
  destination: MemoryStorage;
  state: MemoryStorage;
  mail: MemoryStorage;
  config: DigestConfig;
}

function world(config = digestConfig()): World {
  return {
    source: new MemoryStorage(),
    destination: new MemoryStorage(),
    state: new MemoryStorage(),
    mail: new MemoryStorage(),
    config,
  };
}

function run(w: World, now: Date, overrides: Partial<DigestRequest> = {}) {
  return prepareDigest({
    source: w.source,
    destination: w.destination,
    state: w.state,
    config: w.config,
    now,
    sample: { storage: w.mail, recipient: 'reader@example.com', signer },
    ...overrides,
  });
}

const snapshot = (storage: MemoryStorage) => new Map([...storage.objects].map(([k, v]) => [k, Buffer.from(v.body)]));
const issueIds = (w: World, week: string) =>
  JSON.parse(w.state.text(recordKey(week)) ?? '{"articleIds":[]}').articleIds as string[];

describe('prepareDigest', () => {
  it('writes the web copy, the archive, its feeds and the sample message, then the state', async () => {
    const w = world();
    w.source.put('a.md', story(1, '2026-11-20T09:00:00Z'));
    w.source.put('b.md', story(2, '2026-11-21T09:00:00Z'));
    const report = await run(w, W48);
    expect(report.outcome).toBe('prepared');
    expect(report.issue).toEqual({ id: '2026-W48', number: 1, shown: 2, overProviderCap: 0, gone: 0 });
    expect(report.written.sort()).toEqual([
      'digests/2026-W48.html',
      'digests/atom.xml',
      'digests/feed.json',
      'digests/feed.xml',
      'digests/index.html',
    ]);
    expect([...w.mail.objects.keys()].sort()).toEqual(['2026-W48.eml', '2026-W48.html', '2026-W48.txt']);
    expect(w.destination.text('digests/2026-W48.html')).toContain('Story 1');
    expect(w.destination.text('digests/index.html')).toContain('2026-W48.html');
    // The public web copy has no personal link.
    expect(w.destination.text('digests/2026-W48.html')).not.toContain('token=');
    const state = JSON.parse(w.state.text(DIGEST_STATE_KEY)!);
    expect(state.last).toMatchObject({ id: '2026-W48', number: 1 });
    expect(Object.keys(state.issued).sort()).toEqual(['a', 'b']);
  });

  it('writes an .eml that is the MIME message, with personal links that verify', async () => {
    const w = world();
    w.source.put('a.md', story(1, '2026-11-20T09:00:00Z'));
    await run(w, W48);
    const mail = await simpleParser(Buffer.from(w.mail.objects.get('2026-W48.eml')!.body));
    expect(mail.html).toBe(w.mail.text('2026-W48.html'));
    expect(mail.text).toBe(w.mail.text('2026-W48.txt'));
    const header = (name: string) => mail.headerLines.filter((h) => h.key === name).map((h) => h.line);
    expect(header('list-unsubscribe-post')).toEqual(['List-Unsubscribe-Post: List-Unsubscribe=One-Click']);
    expect(header('list-unsubscribe')).toHaveLength(1);
    const unsubscribe = header('list-unsubscribe')[0]!;
    const url = new URL(/<([^>]+)>/.exec(unsubscribe)![1]!);
    expect(url.origin + url.pathname).toBe('https://www.example.org/api/unsubscribe');
    expect(signer.verify(url.searchParams.get('token')!, 'unsubscribe', W50)).toEqual({
      ok: true,
      address: 'reader@example.com',
    });
    expect(mail.html).toContain(url.href.replaceAll('&', '&amp;'));
  });

  it('prepares nothing new when run again in the same week: the same files, byte for byte', async () => {
    const w = world();
    w.source.put('a.md', story(1, '2026-11-20T09:00:00Z'));
    await run(w, W48);
    const before = { destination: snapshot(w.destination), mail: snapshot(w.mail), state: snapshot(w.state) };
    w.source.put('late.md', story(9, '2026-11-22T09:00:00Z'));
    const again = await run(w, new Date('2026-11-26T09:00:00Z'));
    expect(again.outcome).toBe('rewritten');
    expect(again.written).toEqual([]);
    expect(snapshot(w.destination)).toEqual(before.destination);
    expect(snapshot(w.mail)).toEqual(before.mail);
    expect(snapshot(w.state)).toEqual(before.state);
  });

  it('numbers consecutive issues and never repeats an article; a late upload reaches the next issue', async () => {
    const w = world();
    w.source.put('a.md', story(1, '2026-11-20T09:00:00Z'));
    await run(w, W48);
    // Uploaded after issue 1, dated before it.
    w.source.put('late.md', story(2, '2026-11-21T09:00:00Z'));
    w.source.put('new.md', story(3, '2026-11-27T09:00:00Z'));
    const second = await run(w, W49);
    expect(second.issue).toMatchObject({ id: '2026-W49', number: 2, shown: 2 });
    expect(issueIds(w, '2026-W49').sort()).toEqual(['late', 'new']);
    expect(w.destination.text('digests/index.html')).toContain('2026-W48.html');
    expect(w.destination.text('digests/index.html')).toContain('2026-W49.html');
  });

  it('skips an empty week without moving on, and the next issue covers the gap', async () => {
    const w = world();
    w.source.put('a.md', story(1, '2026-11-20T09:00:00Z'));
    await run(w, W48);
    expect((await run(w, W49)).outcome).toBe('empty');
    expect(JSON.parse(w.state.text(DIGEST_STATE_KEY)!).last.id).toBe('2026-W48');
    w.source.put('b.md', story(2, '2026-12-01T09:00:00Z'));
    const third = await run(w, W50);
    expect(third.issue).toMatchObject({ id: '2026-W50', number: 2 });
    expect(w.destination.text('digests/2026-W50.html')).toMatch(/November 23\D+December 7, 2026/);
  });

  it('writes an issue saying so in an empty week when skipEmptyWeek is false', async () => {
    const w = world(digestConfig({ skipEmptyWeek: false }));
    const report = await run(w, W48);
    expect(report.issue).toMatchObject({ id: '2026-W48', number: 1, shown: 0 });
    expect(w.destination.text('digests/2026-W48.html')).toContain('No new stories this week.');
  });

  it('is not due before the issue hour in the digest zone, and writes only the archive', async () => {
    const w = world();
    w.source.put('a.md', story(1, '2026-11-20T09:00:00Z'));
    const report = await run(w, new Date('2026-11-23T05:59:00Z'));
    expect(report.outcome).toBe('not-due');
    expect(report.written.sort()).toEqual([
      'digests/atom.xml',
      'digests/feed.json',
      'digests/feed.xml',
      'digests/index.html',
    ]);
    expect(w.state.objects.size).toBe(0);
    expect(w.mail.objects.size).toBe(0);
  });

  it('after a crash before the state was written, prepares the same issue with the same articles', async () => {
    const w = world();
    w.source.put('a.md', story(1, '2026-11-20T09:00:00Z'));
    w.source.put('b.md', story(2, '2026-11-21T09:00:00Z'));
    const crashing: Storage = Object.assign(Object.create(w.state), {
      write: async (key: string, body: Uint8Array, options: WriteOptions) => {
        if (key === DIGEST_STATE_KEY) throw new StorageError('power cut', 'Unwritable');
        return w.state.write(key, body, options);
      },
    });
    await expect(run(w, W48, { state: crashing })).rejects.toThrow('power cut');
    expect(w.state.text(DIGEST_STATE_KEY)).toBeUndefined();
    const recorded = issueIds(w, '2026-W48');
    // Meanwhile another article arrives, dated inside the window.
    w.source.put('c.md', story(3, '2026-11-22T09:00:00Z'));
    const again = await run(w, new Date('2026-11-23T11:00:00Z'));
    expect(again.outcome).toBe('resumed');
    expect(issueIds(w, '2026-W48')).toEqual(recorded);
    expect(again.issue?.shown).toBe(2);
    // The newcomer is not lost: it goes into the next issue.
    await run(w, W49);
    expect(issueIds(w, '2026-W49')).toEqual(['c']);
  });

  it('stops, naming the file, when the state is unreadable, rather than start again at issue 1', async () => {
    const w = world();
    w.source.put('a.md', story(1, '2026-11-20T09:00:00Z'));
    w.state.put(DIGEST_STATE_KEY, '{"format":1,"issued":{}, "issues": "oops"}');
    await expect(run(w, W48)).rejects.toThrow(/memory:digest\/state\.json is not a digest state .* \(at issues\)/);
    w.state.put(DIGEST_STATE_KEY, '{"format":1,');
    await expect(run(w, W48)).rejects.toThrow(/memory:digest\/state\.json is not valid JSON/);
    expect(w.destination.objects.size).toBe(0);
  });

  it('applies the per-provider cap and reports what it left out', async () => {
    const w = world(digestConfig({ perProvider: 2 }));
    for (let n = 1; n <= 5; n += 1) {
      w.source.put(
        `s${n}.md`,
        story(n, `2026-11-1${n}T01:00:00Z`, { provider: { name: 'Same', domain: 'same.example' } }),
      );
    }
    const report = await run(w, W48);
    expect(report.issue).toMatchObject({ shown: 2, overProviderCap: 3 });
    // Left out, but in no later issue either: they would be old news.
    w.source.put('z.md', story(9, '2026-11-25T09:00:00Z'));
    await run(w, W49);
    expect(issueIds(w, '2026-W49')).toEqual(['z']);
  });

  it('gives the sample reader only their topics, and no message when nothing matches', async () => {
    const w = world();
    w.source.put('a.md', story(1, '2026-11-20T09:00:00Z', { topics: ['AI'] }));
    w.source.put('b.md', story(2, '2026-11-21T09:00:00Z', { topics: ['Space'] }));
    const report = await run(w, W48, {
      sample: { storage: w.mail, recipient: 'r@example.com', topics: ['Cooking'], signer },
    });
    expect(report.sample).toMatchObject({ keys: [], shown: 0 });
    expect(w.mail.objects.size).toBe(0);
    const w2 = world();
    w2.source.put('a.md', story(1, '2026-11-20T09:00:00Z', { topics: ['AI'] }));
    w2.source.put('b.md', story(2, '2026-11-21T09:00:00Z', { topics: ['Space'] }));
    await run(w2, W48, { sample: { storage: w2.mail, recipient: 'r@example.com', topics: ['ai'], signer } });
    expect(w2.mail.text('2026-W48.txt')).toContain('Story 1');
    expect(w2.mail.text('2026-W48.txt')).not.toContain('Story 2');
  });

  it('lets no article title add a header: CR LF and Bcc: in a title stay text on the Subject line', async () => {
    const w = world();
    // A YAML double-quoted string can carry real CR and LF characters.
    w.source.put(
      'a.md',
      `---\ntitle: "Big news\\r\\nBcc: evil@example.net\\r\\nX-Injected: 1"\npublishedDateTime: 2026-11-20T09:00:00Z\nwebUrl: https://x.example/a\nquality: 90\npublished: true\n---\n`,
    );
    await run(w, W48);
    const raw = Buffer.from(w.mail.objects.get('2026-W48.eml')!.body).toString('latin1');
    const headerBlock = raw.slice(0, raw.indexOf('\r\n\r\n'));
    expect(headerBlock).not.toMatch(/^(Bcc|X-Injected):/im);
    const mail = await simpleParser(Buffer.from(w.mail.objects.get('2026-W48.eml')!.body));
    expect(mail.bcc).toBeUndefined();
    expect(mail.subject).toBe('Test Wire #1: Big news Bcc: evil@example.net X-Injected: 1');
  });

  it('never writes the secured value anywhere', async () => {
    const w = world();
    w.source.put('a.md', story(1, '2026-11-20T09:00:00Z'));
    await run(w, W48);
    for (const storage of [w.destination, w.mail, w.state]) {
      for (const [key, object] of storage.objects) {
        expect(Buffer.from(object.body).toString('latin1'), key).not.toContain(SECRET.slice(0, 16));
      }
    }
  });

  it('publishes digest feeds that pass the independent validators', async () => {
    const w = world();
    w.source.put('a.md', story(1, '2026-11-20T09:00:00Z'));
    await run(w, W48);
    expect(await validateAtom(w.destination.text('digests/atom.xml')!)).toEqual([]);
    expect(await strictXmlErrors(w.destination.text('digests/feed.xml')!)).toEqual([]);
    expect(validateJsonFeed(w.destination.text('digests/feed.json')!)).toEqual([]);
  });

  it('is linked from the feeds index page and the OPML list when the site has a digest', async () => {
    const w = world();
    w.source.put('a.md', story(1, '2026-11-20T09:00:00Z'));
    await buildFeeds({ source: w.source, destination: w.destination, config: w.config, now: W48, ping: false });
    expect(w.destination.text('index.html')).toContain('https://feeds.example.org/news/digests/index.html');
    expect(w.destination.text('index.html')).toContain('https://feeds.example.org/news/digests/feed.xml');
    expect(w.destination.text('feeds.opml')).toContain('xmlUrl="https://feeds.example.org/news/digests/feed.xml"');
  });
});
