// `npm run dev`: the built site and the subscriber API on one port, with the stand-ins in the same process.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localKeyring } from '../functions/cli.ts';
import { DevError, type DevServer, startDev } from '../functions/dev.ts';
import { FsStorage } from '../functions/storage/fs.ts';
import { parseKeyring } from '../functions/subscribers/tokens.ts';
import { formPost } from './support/subscriber-api.ts';
import { useTempDirs } from './support/temp-dir.ts';

const NOW = '2026-11-24T12:00:00Z';
const tempDir = useTempDirs();

/** Whether something else may listen on `port` now. */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const probe = createServer();
    probe.once('error', () => done(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => done(true)));
  });
}

describe('the dev server', () => {
  let root: string;
  let dev: DevServer;
  const output: string[] = [];
  const io = { stdout: (line: string) => output.push(line), stderr: (line: string) => output.push(line) };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'newsfeeds-dev-'));
    dev = await startDev({ port: 0, out: join(root, 'site'), state: join(root, 'state'), argv: ['--now', NOW], io });
  }, 60_000);

  afterAll(async () => {
    await dev?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('serves the front page, built for its own port, with the sign-up form posting to its API', async () => {
    expect(dev.url).toMatch(/^http:\/\/localhost:\d+\/$/);
    expect(dev.apiUrl).toBe(`${dev.url}api/`);
    const response = await fetch(dev.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await response.text();
    expect(html).toContain(`action="${dev.url}api/subscribe"`);
    expect(html).toMatch(/<link rel="stylesheet" href="[^"]*style\.css">/);
  });

  it('serves the stylesheet as text/css, so a browser applies it despite nosniff', async () => {
    const response = await fetch(new URL('style.css', dev.url));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('answers a sign-up form post with the check-inbox page and sends the confirmation to the SES stand-in', async () => {
    const address = `dev-${Date.now()}@example.com`;
    const response = await fetch(new URL('api/subscribe', dev.url), formPost([['email', address]]));
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('<h1>Check your inbox</h1>');
    const store = (await (await fetch(new URL('store', dev.mailUrl))).json()) as {
      emails: { destination: { to: string[] }; body: { text?: string } }[];
    };
    const mail = store.emails.find((m) => m.destination.to.includes(address));
    expect(mail?.body.text).toMatch(new RegExp(`${dev.url}api/confirm\\?token=[\\w.-]+`));
    expect(output.join('\n')).toContain('sign-up: confirmation sent');
    expect(output.join('\n')).not.toContain(address);
  });

  it('answers 404 for a route the API does not have, and for a file the site does not have', async () => {
    const api = await fetch(new URL('api/nothing', dev.url));
    expect(api.status).toBe(404);
    expect(await api.json()).toEqual({ error: 'no such route' });
    expect((await fetch(new URL('nothing.html', dev.url))).status).toBe(404);
  });

  it('shows the sent mail at its mail URL', async () => {
    const response = await fetch(dev.mailUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('frees its port when closed', async () => {
    const other = await startDev({
      port: 0,
      out: join(root, 'site-2'),
      state: join(root, 'state-2'),
      argv: ['--now', NOW],
      io,
    });
    const port = Number(new URL(other.url).port);
    expect(await portIsFree(port)).toBe(false);
    await other.close();
    expect(await portIsFree(port)).toBe(true);
    await other.close(); // a second close does nothing
  }, 60_000);
});

describe('starting the dev server', () => {
  it('refuses the options it sets itself, with exit status 2', async () => {
    const start = startDev({ port: 0, argv: ['--base-url', 'http://example.com/'], io: { stdout() {}, stderr() {} } });
    await expect(start).rejects.toThrow(DevError);
    await expect(start).rejects.toMatchObject({ status: 2, message: expect.stringMatching(/^--base-url: /) });
  });

  it('rejects with the build exit status when the build fails', async () => {
    const dir = await tempDir();
    const lines: string[] = [];
    const start = startDev({
      port: 0,
      out: join(dir, 'site'),
      state: join(dir, 'state'),
      argv: ['--now', 'yesterday'],
      io: { stdout: (l) => lines.push(l), stderr: (l) => lines.push(l) },
    });
    await expect(start).rejects.toMatchObject({ status: 2 });
    expect(lines.join('\n')).toContain('--now');
  });
});

describe("the dev state's keyring", () => {
  it('gets a hash key when it was written without one, keeping its signing key', async () => {
    const dir = await tempDir();
    const old = { current: 'k1', keys: { k1: Buffer.alloc(32, 7).toString('base64url') } };
    await writeFile(join(dir, 'signing-keys.json'), JSON.stringify(old));
    const keyring = await localKeyring(new FsStorage(dir));
    expect(keyring.hashKey.length).toBe(32);
    const written = parseKeyring(await readFile(join(dir, 'signing-keys.json'), 'utf8'), 'test');
    const hex = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString('hex');
    expect(hex(written.keys.get('k1'))).toBe(Buffer.alloc(32, 7).toString('hex'));
    expect(hex(written.hashKey)).toBe(hex(keyring.hashKey));
    // Read again, the same key: addresses hash the same on every start.
    expect(hex((await localKeyring(new FsStorage(dir))).hashKey)).toBe(hex(keyring.hashKey));
  });
});
