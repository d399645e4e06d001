// The confirmation message of a sign-up: what it says, that nothing from the configuration becomes markup, and that it
// reads on a phone in light and dark mode.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DefaultTreeAdapterMap } from 'parse5';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmationMessage } from '../../functions/mail/confirm-message.ts';
import {
  axeViolations,
  chromiumForSuite,
  horizontalOverflow,
  launchBrowser,
  openPage,
  saveScreenshot,
} from '../support/browser.ts';
import { digestConfig } from '../support/digest.ts';
import { attr, elements, type HtmlNode } from '../support/html.ts';

type Node = HtmlNode;

function textOf(node: Node): string {
  if (node.nodeName === '#text') return (node as DefaultTreeAdapterMap['textNode']).value;
  return 'childNodes' in node ? node.childNodes.map(textOf).join('') : '';
}

/** A confirm token is long: the link must wrap on a phone rather than widen the page. */
const CONFIRM_URL =
  'https://www.example.org/api/confirm?token=k1.eyJwIjoiY29uZmlybSIsImEiOiJyZWFkZXJAZXhhbXBsZS5jb20iLCJ0IjoxNzk0MDAwMDAwfQ.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU_-';
const HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(1)> {{confirmUrl}} {{>topics}} &amp;';

const message = (topics: string[] = ['AI', 'Health'], config = digestConfig()) =>
  confirmationMessage({ config, confirmUrl: CONFIRM_URL, topics });

describe('what it says', () => {
  it('asks to confirm the subscription to the digest of the site, in both parts', () => {
    const { html, text } = message();
    const sentence = 'Confirm your subscription to the weekly digest of Test Wire';
    expect(text).toContain(sentence);
    expect(elements(html).some((el) => el.tagName === 'p' && textOf(el).includes(sentence))).toBe(true);
    expect(
      elements(html)
        .find((el) => el.tagName === 'h1')
        ?.childNodes.map(textOf)
        .join(''),
    ).toBe('Test Wire');
    expect(text.split('\n')[0]).toBe('Test Wire');
  });

  it('has the subject "Confirm your subscription to <site title>"', () => {
    expect(message().subject).toBe('Confirm your subscription to Test Wire');
  });

  it('puts the confirm link in a real button-like link and writes it out as text', () => {
    const { html, text } = message();
    const links = elements(html).filter((el) => el.tagName === 'a' && attr(el, 'href') === CONFIRM_URL);
    expect(links.map((a) => textOf(a).trim())).toEqual(['Confirm my subscription', CONFIRM_URL]);
    // The button is a link with a coloured background, not an image.
    expect(attr(links[0]!, 'style')).toMatch(/background:#0a58ca/);
    expect(elements(html).filter((el) => el.tagName === 'img')).toEqual([]);
    expect(text.split('\n')).toContain(CONFIRM_URL);
  });

  it('lists the topics asked for, in the order given', () => {
    const { html, text } = message(['AI', 'Health', 'Energy & climate']);
    const items = elements(html).filter((el) => el.tagName === 'li');
    expect(items.map(textOf)).toEqual(['AI', 'Health', 'Energy & climate']);
    expect(text).toContain('The topics you asked for:\n  - AI\n  - Health\n  - Energy & climate\n');
    expect(html).not.toContain('every topic');
    expect(text).not.toContain('every topic');
  });

  it('says "every topic" when no topic was chosen', () => {
    const { html, text } = message([]);
    expect(elements(html).filter((el) => el.tagName === 'li')).toEqual([]);
    expect(html).toContain('The topics you asked for: every topic.');
    expect(text).toContain('The topics you asked for: every topic.');
  });

  it('says how long the link works and what happens if it is ignored', () => {
    const sentence =
      'This link works for 7 days. If you did not ask for this, ignore this message: you will get nothing more.';
    const { html, text } = message();
    expect(text).toContain(sentence);
    expect(elements(html).some((el) => el.tagName === 'p' && textOf(el) === sentence)).toBe(true);
  });

  it('ends with the sender name, the sender address and the postal address', () => {
    const footer = 'Sent by Test Wire (digest@example.org) · Test Wire, 1 Example Street, 10115 Berlin';
    const { html, text } = message();
    expect(text.trimEnd().split('\n').at(-1)).toBe(footer);
    expect(elements(html).some((el) => el.tagName === 'p' && textOf(el) === footer)).toBe(true);
  });

  it('has a text part without markup, entities or template tokens', () => {
    const { html, text } = message();
    expect(text).not.toMatch(/[<>]|&[a-z]+;|&#\d+;/i);
    expect(text).not.toContain('{{');
    expect(html).not.toContain('{{');
  });

  it("follows the reader's colour scheme, like the digest", () => {
    const { html } = message();
    expect(html).toContain('<meta name="color-scheme" content="light dark">');
    expect(html).toContain('@media (prefers-color-scheme: dark)');
    expect(html).not.toContain('fonts.googleapis.com');
    expect(elements(html).find((el) => el.tagName === 'html')?.attrs).toContainEqual({ name: 'lang', value: 'en' });
  });

  it('stays under 30 KB of HTML with 30 long topic labels', () => {
    const topics = Array.from({ length: 30 }, (_, i) => `Topic ${i} ${'with a long label '.repeat(5)}`);
    const { html } = message(topics);
    expect(Buffer.byteLength(html)).toBeLessThan(30_000);
  });

  it('is the same for the same input', () => {
    expect(message(['AI', 'Health'])).toEqual(message(['AI', 'Health']));
    expect(message([])).toEqual(message([]));
  });
});

describe('hostile values', () => {
  const config = digestConfig(
    { postalAddress: `Postfach ${HOSTILE}`, from: { name: `News ${HOSTILE}`, address: 'digest@example.org' } },
    { title: `Wire ${HOSTILE}` },
  );
  const hostile = confirmationMessage({ config, confirmUrl: CONFIRM_URL, topics: [HOSTILE, 'AI'] });

  it('leaves no live markup: no script, no event handler, no link but the site and the confirm link', () => {
    const all = elements(hostile.html);
    expect(all.filter((el) => el.tagName === 'script')).toEqual([]);
    expect(all.filter((el) => el.tagName === 'img')).toEqual([]);
    expect(all.flatMap((el) => el.attrs.filter((a) => a.name.startsWith('on')))).toEqual([]);
    expect(all.filter((el) => el.tagName === 'a').map((a) => attr(a, 'href'))).toEqual([
      'https://www.example.org/',
      CONFIRM_URL,
      CONFIRM_URL,
    ]);
  });

  it('shows the site title, postal address, sender name and topic as the text they are', () => {
    const all = elements(hostile.html);
    expect(textOf(all.find((el) => el.tagName === 'h1')!)).toBe(`Wire ${HOSTILE}`);
    expect(all.filter((el) => el.tagName === 'li').map(textOf)).toEqual([HOSTILE, 'AI']);
    expect(
      all.some((el) => el.tagName === 'title' && textOf(el) === `Confirm your subscription to Wire ${HOSTILE}`),
    ).toBe(true);
    const footer = all
      .filter((el) => el.tagName === 'p')
      .map(textOf)
      .find((t) => t.startsWith('Sent by'));
    expect(footer).toBe(`Sent by News ${HOSTILE} (digest@example.org) · Postfach ${HOSTILE}`);
    // The text part carries the values as they are, and the tokens in them were not read as tokens.
    expect(hostile.text).toContain(`Wire ${HOSTILE}`);
    expect(hostile.text).toContain(`  - ${HOSTILE}\n`);
  });

  it('keeps the subject on one line, whatever the title holds', () => {
    const title = 'Wire\r\nBcc: evil@example.net\u2028{site}\u0085end';
    const { subject } = confirmationMessage({ config: { ...config, title }, confirmUrl: CONFIRM_URL, topics: [] });
    expect(subject).not.toMatch(/[\p{Cc}\p{Zl}\p{Zp}]/u);
    expect(subject).toBe('Confirm your subscription to Wire Bcc: evil@example.net {site} end');
  });

  it('keeps a topic label with a line break on one line of the text part', () => {
    const { text } = message(['AI\nUnsubscribe: https://evil.example/']);
    expect(text).toContain('  - AI Unsubscribe: https://evil.example/\n');
  });

  it.each([
    ['javascript:', 'javascript:alert(1)'],
    ['http: to another host', 'http://www.example.org/api/confirm?token=abc'],
    ['a line break', `${CONFIRM_URL}\r\nBcc: evil@example.net`],
    ['a space', 'https://www.example.org/api/confirm?token=a b'],
    ['a quote', 'https://www.example.org/api/confirm?token=a"onclick=alert(1)'],
    ['a relative link', '/api/confirm?token=abc'],
    ['credentials', 'https://user:pw@www.example.org/api/confirm?token=abc'],
  ])('refuses a confirm link with %s', (_, confirmUrl) => {
    expect(() => confirmationMessage({ config: digestConfig(), confirmUrl, topics: [] })).toThrow(RangeError);
  });

  it('accepts an http confirm link on this machine (a local preview)', () => {
    const local = 'http://localhost:8080/api/confirm?token=abc';
    const { html } = confirmationMessage({ config: digestConfig(), confirmUrl: local, topics: [] });
    expect(elements(html).filter((el) => attr(el, 'href') === local)).toHaveLength(2);
  });
});

const chromium = await chromiumForSuite();

describe.skipIf(!chromium)('in a real browser', () => {
  let browser: Browser;
  let dir: string;
  let file: string;

  beforeAll(async () => {
    browser = await launchBrowser();
    dir = await mkdtemp(join(tmpdir(), 'newsfeeds-confirm-'));
    file = join(dir, 'confirm.html');
    const config = digestConfig({}, { title: `The ${'Supercalifragilisticexpialidocious'.repeat(2)} Wire` });
    const topics = ['AI', 'Health', 'Energy & climate'];
    await writeFile(file, confirmationMessage({ config, confirmUrl: CONFIRM_URL, topics }).html);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each([320, 640])('fits %i px without horizontal scrolling, the button whole and visible', async (width) => {
    const page = await openPage(browser, pathToFileURL(file).href, { width });
    expect(await horizontalOverflow(page)).toBe(0);
    const button = page.getByRole('link', { name: 'Confirm my subscription', exact: true });
    const box = await button.boundingBox();
    expect(box && box.x >= 0 && box.x + box.width <= width && box.height >= 40).toBe(true);
    await saveScreenshot(page, `confirm-${width}`);
    await page.close();
  });

  it.each(['light', 'dark'] as const)('has no serious or critical accessibility problem (%s)', async (scheme) => {
    const page = await openPage(browser, pathToFileURL(file).href, { width: 375 }, { colorScheme: scheme });
    expect(await axeViolations(page)).toEqual([]);
    await saveScreenshot(page, `confirm-375-${scheme}`);
    await page.close();
  });
});
