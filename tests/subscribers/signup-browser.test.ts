// A subscription as a person goes through it, in a real Chromium against the dev server (the site, the API and the
// stand-ins on one port): sign up on the front page, confirm from the mail, choose topics, unsubscribe. Every step is
// a plain link or form post; the pages carry no script. Screenshots go to tests/artifacts/.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, startDev } from '../../functions/dev.ts';
import type { StoredMail } from '../stand-ins/ses.ts';
import {
  axeViolations,
  chromiumForSuite,
  horizontalOverflow,
  launchBrowser,
  openPage,
  saveScreenshot,
} from '../support/browser.ts';

const chromium = await chromiumForSuite();

const NOW = '2026-11-24T12:00:00Z';

const heading = (page: Page) => page.locator('h1').textContent();

/** Whether the site's stylesheet applies (a wrong content type or the API's CSP would block it). */
const styled = (page: Page) =>
  page.evaluate(() => {
    // runs in the page; the project's tsconfig has no DOM lib, hence the local shape
    const { document, getComputedStyle } = globalThis as unknown as {
      document: { body: unknown };
      getComputedStyle: (element: unknown) => { maxWidth: string };
    };
    return getComputedStyle(document.body).maxWidth !== 'none';
  });

describe.skipIf(!chromium)('signing up in a real browser', () => {
  let browser: Browser;
  let root: string;
  let dev: DevServer;

  beforeAll(async () => {
    browser = await launchBrowser();
    root = await mkdtemp(join(tmpdir(), 'newsfeeds-signup-browser-'));
    const quiet = { stdout() {}, stderr() {} };
    dev = await startDev({
      port: 0,
      out: join(root, 'site'),
      state: join(root, 'state'),
      argv: ['--now', NOW],
      io: quiet,
    });
  }, 120_000);

  afterAll(async () => {
    await dev?.close();
    await browser?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  async function confirmLinkFor(address: string): Promise<string> {
    const { emails } = (await (await fetch(new URL('store', dev.mailUrl))).json()) as { emails: StoredMail[] };
    const mail = emails.filter((m) => m.destination.to.includes(address)).at(-1);
    const link = mail?.body.text?.match(/http:\/\/localhost:\d+\/api\/confirm\?token=[\w.-]+/)?.[0];
    if (!link) throw new Error(`no confirmation mail to ${address} in the SES stand-in`);
    return link;
  }

  async function expectAccessible(page: Page, name: string) {
    // DOMContentLoaded can come before the stylesheet; anything not on loopback is aborted, so load comes soon.
    await page.waitForLoadState('load');
    expect(await styled(page)).toBe(true);
    expect(await page.locator('script').count()).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
    await saveScreenshot(page, name);
  }

  it('goes from the front page to confirmed, new topics saved, and unsubscribed, with plain links and forms', async () => {
    const page = await openPage(browser, dev.url, { width: 375 });
    await expectAccessible(page, 'signup-front-375');

    const address = `reader-${randomUUID().slice(0, 8)}@example.com`;
    const form = page.locator('form#signup');
    await form.getByLabel('Email address').fill(address);
    const boxes = form.locator('input[name="topics"]');
    expect(await boxes.count()).toBeGreaterThan(1);
    const first = (await boxes.nth(0).getAttribute('value'))!;
    const second = (await boxes.nth(1).getAttribute('value'))!;
    await boxes.nth(0).check();
    await Promise.all([
      page.waitForURL(`${dev.url}api/subscribe`),
      form.getByRole('button', { name: 'Subscribe' }).click(),
    ]);
    expect(await heading(page)).toBe('Check your inbox');
    await expectAccessible(page, 'signup-check-inbox-375');

    await page.goto(await confirmLinkFor(address), { waitUntil: 'domcontentloaded' });
    expect(await heading(page)).toBe('You are subscribed');
    await expectAccessible(page, 'signup-confirmed-375');

    await Promise.all([
      page.waitForURL(/\/api\/preferences\?/),
      page.getByRole('link', { name: 'Choose your topics' }).click(),
    ]);
    expect(await heading(page)).toBe('Your digest settings');
    const topic = (slug: string) => page.locator(`input[name="topics"][value="${slug}"]`);
    expect(await topic(first).isChecked()).toBe(true);
    expect(await topic(second).isChecked()).toBe(false);
    await expectAccessible(page, 'signup-preferences-375');

    await page.getByLabel('Only these topics:').check();
    await topic(first).uncheck();
    await topic(second).check();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved. The next digest follows your choice.').waitFor();
    expect(await topic(first).isChecked()).toBe(false);
    expect(await topic(second).isChecked()).toBe(true);
    await saveScreenshot(page, 'signup-preferences-saved-375');
    const preferencesUrl = page.url();

    await Promise.all([
      page.waitForURL(/\/api\/unsubscribe\?/),
      page.getByRole('link', { name: 'Unsubscribe from the digest' }).click(),
    ]);
    expect(await heading(page)).toBe('Unsubscribe');
    await page.getByRole('button', { name: 'Unsubscribe' }).click();
    await page.getByRole('heading', { name: 'You are unsubscribed' }).waitFor();
    await saveScreenshot(page, 'signup-unsubscribed-375');

    // The settings link of the mail now says so.
    await page.goto(preferencesUrl, { waitUntil: 'domcontentloaded' });
    await page.getByText('You are unsubscribed: you get no digest.').waitFor();
    await page.close();
  }, 90_000);

  it('has a front page that fits 320 px without horizontal scrolling', async () => {
    const page = await openPage(browser, dev.url, { width: 320 });
    expect(await horizontalOverflow(page)).toBe(0);
    await saveScreenshot(page, 'signup-front-320');
    await page.close();
  });
});
