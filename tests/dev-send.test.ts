// `npm run dev`'s /dev/send: the current issue, sent to the dev server's confirmed subscribers through its SES
// stand-in by the deployed senders' code, once per subscriber however often the button is pressed.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, startDev } from '../functions/dev.ts';
import { type StoredMail, sentMail } from './stand-ins/ses.ts';
import { formPost } from './support/subscriber-api.ts';

const NOW = '2026-11-24T12:00:00Z';
const TITLE = 'Lab Notes Daily';

describe('sending the current issue from the dev server', () => {
  let root: string;
  let dev: DevServer;
  const output: string[] = [];
  const io = { stdout: (line: string) => output.push(line), stderr: (line: string) => output.push(line) };
  const address = `dev-send-${randomUUID().slice(0, 8)}@example.com`;

  /** The dev server's SES stand-in: its own, so it holds only this file's mail. */
  const mailTo = async (to: string): Promise<StoredMail[]> =>
    (await sentMail(dev.mailUrl.slice(0, -1))).filter((m) => m.destination.to.includes(to));

  const press = async () => {
    const response = await fetch(dev.sendUrl!, { method: 'POST' });
    return { status: response.status, html: await response.text() };
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'newsfeeds-dev-send-'));
    dev = await startDev({ port: 0, out: join(root, 'site'), state: join(root, 'state'), argv: ['--now', NOW], io });
    // Sign up and confirm through the API, as a person would.
    const signup = await fetch(new URL('api/subscribe', dev.url), formPost([['email', address]]));
    expect(signup.status).toBe(200);
    const [confirmation] = await mailTo(address);
    const link = confirmation?.body.text?.match(new RegExp(`${dev.url}api/confirm\\?token=[\\w.-]+`))?.[0];
    expect(link).toBeDefined();
    const confirmed = await fetch(link!);
    expect(confirmed.status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await dev?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('shows a page with a button that posts to /dev/send, naming the current issue', async () => {
    expect(dev.sendUrl).toBe(`${dev.url}dev/send`);
    const response = await fetch(dev.sendUrl!);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await response.text();
    expect(html).toContain('<form method="post" action="/dev/send">');
    expect(html).toContain('2026-W48 (#1)');
    expect(html).toMatch(/<link rel="stylesheet" href="[^"]*style\.css">/);
  });

  it('sends the issue to the confirmed subscriber once, however often it is pressed', async () => {
    const first = await press();
    expect(first.status).toBe(200);
    expect(first.html).toMatch(/<h2>This send<\/h2>\n<ul>\n<li>sent: 1<\/li>/);
    expect(first.html).toMatch(/<h2>The issue so far \(the send ledger\)<\/h2>\n<ul>\n<li>sent: 1<\/li>/);
    const digests = (await mailTo(address)).filter((m) => m.subject.includes('#1'));
    expect(digests).toHaveLength(1);
    expect(digests[0]?.subject).toContain(TITLE);

    const second = await press();
    expect(second.status).toBe(200);
    expect(second.html).toMatch(/<h2>This send<\/h2>\n<ul>\n<li>already sent: 1<\/li>\n<\/ul>/);
    expect(second.html).toMatch(/<h2>The issue so far \(the send ledger\)<\/h2>\n<ul>\n<li>sent: 1<\/li>/);
    expect((await mailTo(address)).filter((m) => m.subject.includes('#1'))).toHaveLength(1);
    expect(output.join('\n')).toContain('dev send: issue 2026-W48');
    expect(output.join('\n')).not.toContain(address);
  });

  it('refuses a send posted from another origin', async () => {
    const response = await fetch(dev.sendUrl!, { method: 'POST', headers: { origin: 'https://elsewhere.example' } });
    expect(response.status).toBe(403);
  });

  it('is not part of the subscriber API', async () => {
    expect((await fetch(new URL('api/dev/send', dev.url))).status).toBe(404);
  });
});
