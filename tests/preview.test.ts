import { access, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildPreview } from '../functions/preview.ts';
import { serveFolder } from '../functions/preview-server.ts';
import { useTempDirs } from './support/temp-dir.ts';

const tempDir = useTempDirs();
const SECRET = 'outside-the-site-secret';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with the path exactly as written (fetch would normalise away the dot segments under test). */
function send(base: string, path: string, method = 'GET'): Promise<Answer> {
  const { hostname, port } = new URL(base);
  return new Promise((ok, fail) => {
    const req = request({ host: hostname === 'localhost' ? '127.0.0.1' : hostname, port, path, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        ok({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', fail);
    req.end();
  });
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** A site folder with nested files, next to files it must never serve. */
async function servedSite(): Promise<string> {
  const dir = await tempDir();
  await writeFile(join(dir, 'package.json'), SECRET);
  await writeFile(join(dir, 'secret.txt'), SECRET);
  const site = join(dir, 'dist');
  const files: Record<string, string> = {
    'index.html': '<h1>Feeds</h1>',
    'feed.xml': '<rss/>',
    'atom.xml': '<feed/>',
    'feed.json': '{}',
    'feeds.opml': '<opml/>',
    'digests/index.html': '<h1>Archive</h1>',
    'digests/2026-W48.html': '<h1>Issue</h1>',
    'digests/feed.xml': '<rss/>',
    'topics/ai/atom.xml': '<feed/>',
    'data/other.xml': '<x/>',
    'data/other.json': '[]',
    'mail/2026-W48.eml': 'Subject: hi\r\n\r\nhi',
    'mail/2026-W48.txt': 'hi',
    'images/a.png': 'png',
    'images/b.jpg': 'jpg',
    'images/c.svg': '<svg/>',
    'with space/a b.html': 'spaced',
  };
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(site, name, '..'), { recursive: true });
    await writeFile(join(site, name), text);
  }
  await symlink(join(dir, 'secret.txt'), join(site, 'link.txt'));
  return site;
}

async function serve(): Promise<string> {
  const server = await serveFolder(await servedSite(), 0);
  closers.push(server.close);
  return server.url;
}

describe('serveFolder', () => {
  it('listens on a free port when asked for port 0 and names it as localhost', async () => {
    const url = await serve();
    expect(url).toMatch(/^http:\/\/localhost:\d+\/$/);
    expect(url).not.toBe('http://localhost:0/');
  });

  it.each([
    ['/index.html', 'text/html; charset=utf-8'],
    ['/feed.xml', 'application/rss+xml; charset=utf-8'],
    ['/digests/feed.xml', 'application/rss+xml; charset=utf-8'],
    ['/atom.xml', 'application/atom+xml; charset=utf-8'],
    ['/topics/ai/atom.xml', 'application/atom+xml; charset=utf-8'],
    ['/data/other.xml', 'application/xml; charset=utf-8'],
    ['/feed.json', 'application/feed+json; charset=utf-8'],
    ['/data/other.json', 'application/json; charset=utf-8'],
    ['/feeds.opml', 'text/x-opml; charset=utf-8'],
    ['/mail/2026-W48.txt', 'text/plain; charset=utf-8'],
    ['/mail/2026-W48.eml', 'message/rfc822'],
    ['/images/a.png', 'image/png'],
    ['/images/b.jpg', 'image/jpeg'],
    ['/images/c.svg', 'image/svg+xml'],
  ])('serves %s as %s, never cached', async (path, type) => {
    const answer = await send(await serve(), path);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe(type);
    expect(answer.headers['cache-control']).toBe('no-store');
  });

  it('serves index.html for / and for a folder URL', async () => {
    const url = await serve();
    expect((await send(url, '/')).body).toBe('<h1>Feeds</h1>');
    const archive = await send(url, '/digests/');
    expect(archive.status).toBe(200);
    expect(archive.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(archive.body).toBe('<h1>Archive</h1>');
  });

  it('redirects a folder URL without its slash, so relative links in its index resolve inside it', async () => {
    const answer = await send(await serve(), '/digests?x=1');
    expect(answer.status).toBe(301);
    expect(answer.headers.location).toBe('/digests/');
  });

  it('percent-decodes the path and ignores the query', async () => {
    const url = await serve();
    expect((await send(url, '/with%20space/a%20b.html?utm=1')).body).toBe('spaced');
    expect((await send(url, '/digests/2026%2DW48.html')).body).toBe('<h1>Issue</h1>');
  });

  it('answers 404 for a file that does not exist', async () => {
    const url = await serve();
    expect((await send(url, '/nothing.html')).status).toBe(404);
    expect((await send(url, '/index.html/more')).status).toBe(404);
    expect((await send(url, '/topics/')).status).toBe(404);
  });

  it.each([
    '/../package.json',
    '/../secret.txt',
    '/digests/../../secret.txt',
    '/%2e%2e%2fpackage.json',
    '/%2e%2e/secret.txt',
    '/..%2fsecret.txt',
    '/..%5cpackage.json',
    '/..\\secret.txt',
    '/index.html%00.txt',
    '/%E0%A4%A',
    '/link.txt',
  ])('never serves anything outside the folder for %s', async (path) => {
    const answer = await send(await serve(), path);
    expect([400, 404]).toContain(answer.status);
    expect(answer.body).not.toContain(SECRET);
  });

  it('refuses methods other than GET and HEAD with 405', async () => {
    const answer = await send(await serve(), '/index.html', 'POST');
    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toBe('GET, HEAD');
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const answer = await send(await serve(), '/feed.xml', 'HEAD');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/rss+xml; charset=utf-8');
    expect(answer.headers['content-length']).toBe(String('<rss/>'.length));
    expect(answer.body).toBe('');
  });

  it('rejects when the port is taken', async () => {
    const url = await serve();
    const taken = Number(new URL(url).port);
    await expect(serveFolder(await tempDir(), taken)).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});

const quiet = () => {
  const lines: string[] = [];
  const push = (line: string) => {
    lines.push(line);
  };
  return { lines, io: { stdout: push, stderr: push, clock: () => new Date('2030-01-01T00:00:00Z'), env: {} } };
};

describe('buildPreview', () => {
  const PORT = 8123;
  const BASE = `http://localhost:${PORT}/`;

  it('builds the sample site and the issue due now, numbered #1, where every link to the site has its file', async () => {
    const out = await tempDir();
    const { lines, io } = quiet();
    const sample = ['--content', 'content', '--config', 'site.config.json', '--now', '2026-11-24T12:00:00Z'];
    const build = await buildPreview([...sample, '--out', out], PORT, io);
    expect(build.status, lines.join('\n')).toBe(0);
    expect(lines.join('\n')).toContain('digest: issue 2026-W48 (#1) prepared');
    expect(build.out).toBe(out);
    expect(build.pages.map((p) => p.path)).toEqual([
      'index.html',
      'digests/index.html',
      'digests/2026-W48.html',
      'mail/2026-W48.html',
    ]);

    const linked = new Set<string>();
    const elsewhere = new Set<string>();
    for (const { path } of build.pages) {
      const html = await readFile(join(out, path), 'utf8');
      for (const [, href] of html.matchAll(/\bhref="([^"]*)"/g)) {
        const url = new URL(href!.replaceAll('&amp;', '&'), new URL(path, BASE)).href.split('#')[0]!;
        if (url.startsWith(BASE)) linked.add(url);
        else elsewhere.add(new URL(url).origin);
      }
    }
    // Nothing leads back to the real site (siteUrl, the API): only articles and their publishers are elsewhere.
    expect([...elsewhere].filter((origin) => origin.includes('news.example.com'))).toEqual([]);
    expect([...linked].some((url) => url.startsWith(`${BASE}api/unsubscribe?token=`))).toBe(true);
    const missing: string[] = [];
    for (const url of linked) {
      const file = decodeURIComponent(new URL(url).pathname.slice(1));
      const found = await access(join(out, file.endsWith('/') || file === '' ? `${file}index.html` : file)).then(
        () => true,
        () => false,
      );
      if (!found) missing.push(url);
    }
    expect(linked.size).toBeGreaterThan(20);
    expect(linked).toContain(`${BASE}digests/2026-W48.html`);
    expect(linked).toContain(`${BASE}digests/index.html`);
    // The subscription API is not part of the static site: its links are the only ones allowed to miss.
    const api = missing.filter((url) => url.startsWith(`${BASE}api/`));
    expect(missing.filter((url) => !api.includes(url))).toEqual([]);
  });

  it.each([
    ['--state', '.state'],
    ['--base-url', 'https://news.example.com/'],
  ])('refuses %s, which the preview sets itself, and builds nothing', async (flag, value) => {
    const out = await tempDir();
    const { lines, io } = quiet();
    const build = await buildPreview(['--out', out, flag, value], PORT, io);
    expect(build.status).toBe(2);
    expect(lines[0]).toMatch(new RegExp(`^${flag}: `));
    await expect(access(join(out, 'index.html'))).rejects.toThrow();
  });
});
