// The build tells a WebSub hub (a real HTTP server on 127.0.0.1) about exactly the feeds whose bytes changed.
import { describe, expect, it } from 'vitest';
import { buildFeeds } from '../../functions/pipeline/build.ts';
import { MemoryStorage } from '../../functions/storage/memory.ts';
import { numberedArticle } from '../support/article-source.ts';
import { useHubs } from '../support/hub.ts';
import { testConfig } from '../support/site-config.ts';

const now = new Date('2026-11-24T12:00:00Z');
const startHub = useHubs();

const story = (n: number, topic: string, title = `Story ${n}`) =>
  numberedArticle(n, { title, topics: [topic], category: 'news' });

function setup(hubUrl: string) {
  const source = new MemoryStorage();
  source.put('a.md', story(1, 'Energy'));
  source.put('b.md', story(2, 'Space'));
  const destination = new MemoryStorage();
  const config = testConfig({ hubUrl });
  const run = () => buildFeeds({ source, destination, config, now, ping: { sleep: async () => {}, timeoutMs: 1000 } });
  return { source, run };
}

const feedsOf = (dir: string) =>
  ['feed.xml', 'atom.xml', 'feed.json'].map((f) => `https://feeds.example.org/news/${dir}${f}`);

describe('the WebSub publish ping', () => {
  it('tells the hub about every feed on the first build', async () => {
    const hub = await startHub();
    const report = await setup(hub.url).run();
    const expected = [
      ...feedsOf(''),
      ...feedsOf('categories/news/'),
      ...feedsOf('topics/energy/'),
      ...feedsOf('topics/space/'),
    ];
    expect([...hub.pinged].sort()).toEqual(expected.sort());
    expect(report.pings.every((p) => p.ok)).toBe(true);
  });

  it('pings nothing when a rebuild changes nothing', async () => {
    const hub = await startHub();
    const { run } = setup(hub.url);
    await run();
    hub.pinged.length = 0;
    const report = await run();
    expect(hub.pinged).toEqual([]);
    expect(report.pings).toEqual([]);
  });

  it('pings only the feeds that hold an edited article', async () => {
    const hub = await startHub();
    const { source, run } = setup(hub.url);
    await run();
    hub.pinged.length = 0;
    source.put('b.md', story(2, 'Space', 'Story 2, corrected'));
    await run();
    const expected = [...feedsOf(''), ...feedsOf('categories/news/'), ...feedsOf('topics/space/')];
    expect([...hub.pinged].sort()).toEqual(expected.sort());
  });

  it('still builds when the hub fails, and reports which feeds it could not tell', async () => {
    const hub = await startHub(503);
    const report = await setup(hub.url).run();
    expect(report.summary.outputs.written).toBeGreaterThan(0);
    expect(report.pings).toHaveLength(12);
    expect(report.pings.every((p) => !p.ok && p.status === 503 && p.attempts === 3)).toBe(true);
  });

  it('pings nothing when told not to', async () => {
    const hub = await startHub();
    const source = new MemoryStorage();
    source.put('a.md', story(1, 'Energy'));
    const config = testConfig({ hubUrl: hub.url });
    const report = await buildFeeds({ source, destination: new MemoryStorage(), config, now, ping: false });
    expect(hub.pinged).toEqual([]);
    expect(report.pings).toEqual([]);
  });
});
