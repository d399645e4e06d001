// The WebSub ping against a real HTTP server on 127.0.0.1: the form it posts, retries, give-ups, timeouts, a hub
// that is down, and the bounds on duplicates and concurrency.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { pingHub } from '../../functions/pipeline/websub.ts';

interface HubRequest {
  method: string;
  path: string;
  contentType: string | undefined;
  form: [string, string][];
}

/** Answers the n-th request (1-based); an answer that never calls `end` leaves the ping hanging. */
type Answer = (response: ServerResponse, n: number, request: HubRequest) => void;

const open: Server[] = [];

afterEach(async () => {
  for (const server of open.splice(0)) {
    // A hub that never answered still holds its socket; close() alone would wait for it forever.
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function startHub(answer: Answer) {
  const requests: HubRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: HubRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        contentType: req.headers['content-type'],
        form: [...new URLSearchParams(Buffer.concat(chunks).toString('utf8'))],
      };
      requests.push(request);
      answer(res, requests.length, request);
    });
  });
  open.push(server);
  return { url: `${await listen(server)}/hub`, requests };
}

const status =
  (code: number): Answer =>
  (res) =>
    res.writeHead(code).end();

const instantly = async () => {};

const feed = 'https://news.example.com/feeds/feed.xml';
const other = 'https://news.example.com/feeds/topics/a%26b/feed.json?format=full&x=1';

describe('pingHub', () => {
  it('posts hub.mode=publish and hub.url as a form, one request per feed, and reports each ok in the given order', async () => {
    const hub = await startHub(status(204));
    const results = await pingHub(hub.url, [feed, other], { sleep: instantly });
    expect(results).toEqual([
      { feedUrl: feed, ok: true, attempts: 1, status: 204 },
      { feedUrl: other, ok: true, attempts: 1, status: 204 },
    ]);
    const seen = hub.requests.toSorted((a, b) => (a.form[1]?.[1] ?? '').localeCompare(b.form[1]?.[1] ?? ''));
    expect(seen).toEqual(
      [feed, other].toSorted().map((url) => ({
        method: 'POST',
        path: '/hub',
        contentType: 'application/x-www-form-urlencoded',
        form: [
          ['hub.mode', 'publish'],
          ['hub.url', url],
        ],
      })),
    );
  });

  it('sends nothing for an empty list', async () => {
    const hub = await startHub(status(204));
    expect(await pingHub(hub.url, [])).toEqual([]);
    expect(hub.requests).toHaveLength(0);
  });

  it('retries a 503 and reports success on the second attempt', async () => {
    const hub = await startHub((res, n) => res.writeHead(n === 1 ? 503 : 204).end());
    expect(await pingHub(hub.url, [feed], { sleep: instantly })).toEqual([
      { feedUrl: feed, ok: true, attempts: 2, status: 204 },
    ]);
    expect(hub.requests).toHaveLength(2);
  });

  it('retries a 429', async () => {
    const hub = await startHub((res, n) => res.writeHead(n === 1 ? 429 : 202).end());
    expect(await pingHub(hub.url, [feed], { sleep: instantly })).toEqual([
      { feedUrl: feed, ok: true, attempts: 2, status: 202 },
    ]);
  });

  it('gives up after `attempts` on a hub that always answers 500, reporting instead of throwing', async () => {
    const hub = await startHub(status(500));
    const results = await pingHub(hub.url, [feed], { attempts: 4, sleep: instantly });
    expect(results).toEqual([{ feedUrl: feed, ok: false, attempts: 4, status: 500, error: 'hub answered 500' }]);
    expect(hub.requests).toHaveLength(4);
  });

  it('waits 500 ms, then 1000 ms, between attempts, and not after the last', async () => {
    const hub = await startHub(status(500));
    const waits: number[] = [];
    await pingHub(hub.url, [feed], { sleep: async (ms) => void waits.push(ms) });
    expect(waits).toEqual([500, 1000]);
  });

  it('does not retry a 400, since asking again cannot change the answer', async () => {
    const hub = await startHub(status(400));
    expect(await pingHub(hub.url, [feed], { sleep: instantly })).toEqual([
      { feedUrl: feed, ok: false, attempts: 1, status: 400, error: 'hub answered 400' },
    ]);
    expect(hub.requests).toHaveLength(1);
  });

  it('does not follow a redirect, whose GET would make a 200 look like an accepted ping', async () => {
    const hub = await startHub((res, _n, request) =>
      request.path === '/hub' ? res.writeHead(302, { location: '/moved' }).end() : res.writeHead(200).end('a page'),
    );
    expect(await pingHub(hub.url, [feed], { sleep: instantly })).toEqual([
      { feedUrl: feed, ok: false, attempts: 1, status: 302, error: 'hub answered 302, redirecting to /moved' },
    ]);
    expect(hub.requests.map((r) => r.path)).toEqual(['/hub']);
  });

  it('reports a timeout when the hub accepts the request but never answers', async () => {
    const hub = await startHub(() => {});
    const started = performance.now();
    const results = await pingHub(hub.url, [feed], { timeoutMs: 200, attempts: 1 });
    const elapsed = performance.now() - started;
    expect(results).toEqual([{ feedUrl: feed, ok: false, attempts: 1, error: 'timed out after 200 ms' }]);
    expect(elapsed).toBeGreaterThanOrEqual(150);
    expect(elapsed).toBeLessThan(2000);
  });

  it('stops within its time budget when the hub hangs, and reports the feeds it had no time for', async () => {
    const hub = await startHub(() => {});
    const feeds = ['a', 'b', 'c', 'd'].map((name) => `https://news.example.com/${name}.xml`);
    const started = performance.now();
    const results = await pingHub(hub.url, feeds, { timeoutMs: 5000, budgetMs: 300, concurrency: 1, sleep: instantly });
    expect(performance.now() - started).toBeLessThan(2000);
    // The attempt's own timeout is cut to the time left (300 ms, or a millisecond less).
    expect(results[0]).toEqual({
      feedUrl: feeds[0],
      ok: false,
      attempts: 1,
      error: expect.stringMatching(/^timed out after (299|300) ms$/),
    });
    for (const result of results.slice(1)) {
      expect(result).toEqual({
        feedUrl: result.feedUrl,
        ok: false,
        attempts: 0,
        error: 'not sent: the 300 ms for all hub pings of this build ran out',
      });
    }
  });

  it('retries an attempt that timed out', async () => {
    const hub = await startHub((res, n) => {
      if (n > 1) res.writeHead(204).end();
    });
    expect(await pingHub(hub.url, [feed], { timeoutMs: 100, sleep: instantly })).toEqual([
      { feedUrl: feed, ok: true, attempts: 2, status: 204 },
    ]);
  });

  it('names the refusal when nothing listens on the hub port, after every attempt, without throwing', async () => {
    const server = createServer();
    const base = await listen(server);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const results = await pingHub(`${base}/hub`, [feed], { sleep: instantly });
    expect(results).toEqual([
      { feedUrl: feed, ok: false, attempts: 3, error: `connect ECONNREFUSED ${base.replace('http://', '')}` },
    ]);
  });

  it('pings a feed listed twice only once', async () => {
    const hub = await startHub(status(204));
    const results = await pingHub(hub.url, [feed, other, feed], { sleep: instantly });
    expect(results.map((r) => r.feedUrl)).toEqual([feed, other]);
    expect(hub.requests).toHaveLength(2);
  });

  it('keeps at most `concurrency` pings in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const hub = await startHub((res) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      setTimeout(() => {
        inFlight -= 1;
        res.writeHead(204).end();
      }, 30);
    });
    const feeds = Array.from({ length: 6 }, (_, i) => `https://news.example.com/feeds/${i}.xml`);
    const results = await pingHub(hub.url, feeds, { concurrency: 2, sleep: instantly });
    expect(results.every((r) => r.ok)).toBe(true);
    expect(most).toBe(2);
  });
});
