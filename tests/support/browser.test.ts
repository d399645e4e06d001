import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  axeViolations,
  CHROMIUM_MISSING_MESSAGE,
  findChromium,
  horizontalOverflow,
  isAllowedUrl,
  launchBrowser,
  openPage,
  saveScreenshot,
  withBrowser,
} from './browser.ts';
import { useTempDirs } from './temp-dir.ts';

const chromium = await findChromium();
if (!chromium) console.warn(CHROMIUM_MISSING_MESSAGE);

const head =
  '<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>t</title>';

const PAGES = {
  wide: `<!doctype html><html lang="en"><head>${head}</head><body><div style="width:900px">wide</div></body></html>`,
  responsive: `<!doctype html><html lang="en"><head>${head}<style>img{max-width:100%}</style></head>
    <body><main><h1>Fits</h1><p>${'Words that wrap. '.repeat(40)}</p></main></body></html>`,
  inaccessible: `<!doctype html><html><head>${head}</head><body>
    <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
    <p style="color:#ccc;background:#fff">barely visible text</p></body></html>`,
  clean: `<!doctype html><html lang="en"><head>${head}</head><body><main><h1>Clean</h1>
    <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="a dot"><p style="color:#222;background:#fff">Readable.</p>
    </main></body></html>`,
  remote: `<!doctype html><html lang="en"><head>${head}</head><body><h1>Offline</h1>
    <img src="https://example.com/never.png" alt="remote"><script src="https://example.com/x.js"></script></body></html>`,
  scheme: `<!doctype html><html lang="en"><head>${head}</head><body><p id="s"></p>
    <script>s.textContent = matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'</script></body></html>`,
};

describe('isAllowedUrl', () => {
  it('lets file: and loopback through and nothing else', () => {
    expect(isAllowedUrl('file:///tmp/x.html')).toBe(true);
    expect(isAllowedUrl('http://127.0.0.1:8080/a')).toBe(true);
    expect(isAllowedUrl('http://localhost/a')).toBe(true);
    expect(isAllowedUrl('https://example.com/a.png')).toBe(false);
    expect(isAllowedUrl('http://127.0.0.1.evil.example/a')).toBe(false);
    expect(isAllowedUrl('http://10.0.0.1/a')).toBe(false);
    expect(isAllowedUrl('ws://localhost/a')).toBe(false);
  });
});

describe.skipIf(!chromium)('browser harness (real Chromium)', { timeout: 60_000 }, () => {
  const tempDir = useTempDirs();
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchBrowser();
  }, 60_000);
  afterAll(() => browser?.close());

  async function pageUrl(name: keyof typeof PAGES): Promise<string> {
    const file = join(await tempDir(), `${name}.html`);
    await writeFile(file, PAGES[name]);
    return pathToFileURL(file).href;
  }

  it('sees horizontal overflow of a 900 px block at 375 px, and none on a responsive page', async () => {
    const wide = await openPage(browser, await pageUrl('wide'), { width: 375 });
    expect(await horizontalOverflow(wide)).toBeGreaterThan(0);
    await wide.close();

    const responsive = await openPage(browser, await pageUrl('responsive'), { width: 375 });
    expect(await horizontalOverflow(responsive)).toBe(0);
    await responsive.close();
  });

  it('reports image-alt and color-contrast on an inaccessible page', async () => {
    const page = await openPage(browser, await pageUrl('inaccessible'), { width: 1024 });
    const violations = await axeViolations(page);
    const ids = violations.map((v) => v.id);
    expect(ids).toContain('image-alt');
    expect(ids).toContain('color-contrast');
    expect(violations.find((v) => v.id === 'image-alt')?.nodes).toEqual(['img']);
    expect(violations.every((v) => v.impact === 'serious' || v.impact === 'critical')).toBe(true);
    // html-has-lang is serious too: the page has no lang
    expect(ids).toContain('html-has-lang');
    await page.close();
  });

  it('reports no serious or critical violations on a clean page with lang', async () => {
    const page = await openPage(browser, await pageUrl('clean'), { width: 375 });
    expect(await axeViolations(page)).toEqual([]);
    await page.close();
  });

  it('writes a full-page PNG screenshot', async () => {
    const page = await openPage(browser, await pageUrl('wide'), { width: 375, height: 300 });
    const path = await saveScreenshot(page, 'harness-self-test');
    const png = await readFile(path);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    // full page: the 900 px block is in the picture although the viewport is 375 px wide
    expect(png.readUInt32BE(16)).toBeGreaterThanOrEqual(900);
    await page.close();
    await expect(saveScreenshot(page, '../escape')).rejects.toThrow(/screenshot name/);
  });

  it('aborts remote requests instead of waiting on them', async () => {
    const started = Date.now();
    const page = await openPage(browser, await pageUrl('remote'), { width: 375 });
    expect(await page.textContent('h1')).toBe('Offline');
    // load waits for the image and the script: it comes at once only because both were aborted
    await page.waitForLoadState('load', { timeout: 5_000 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await page.locator('img').evaluate((img) => (img as { naturalWidth: number }).naturalWidth)).toBe(0);
    await page.close();
  });

  it('loads pages served on loopback and applies the colour scheme', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGES.scheme);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const url = `http://127.0.0.1:${port}/`;
      const dark = await openPage(browser, url, { width: 375 }, { colorScheme: 'dark' });
      expect(await dark.textContent('#s')).toBe('dark');
      await dark.close();
      const light = await openPage(browser, url, { width: 375 });
      expect(await light.textContent('#s')).toBe('light');
      await light.close();
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('withBrowser launches a browser of its own and closes it afterwards', async () => {
    let own: Browser | undefined;
    const version = await withBrowser(async (b) => {
      own = b;
      return b.version();
    });
    expect(version).toMatch(/^\d+\./);
    expect(own?.isConnected()).toBe(false);
  });
});
