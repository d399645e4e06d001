// The digest as people see it: a real Chromium opens the sample message, its web copy, the archive and the site
// index at phone and desktop widths, checks the layout and runs axe-core; screenshots go to tests/artifacts/.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../functions/cli.ts';
import { numberedArticle } from '../support/article-source.ts';
import {
  axeViolations,
  chromiumForSuite,
  horizontalOverflow,
  launchBrowser,
  openPage,
  saveScreenshot,
} from '../support/browser.ts';

const chromium = await chromiumForSuite();

const ISSUE = '2026-W48';
const NOW = '2026-11-24T12:00:00Z';
/** Gmail clips the HTML part after about 102 KB: the unsubscribe link must come before. */
const GMAIL_CLIP_BYTES = 102 * 1024;
const HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(1)> {{unsubscribeUrl}} ';

async function build(out: string, content: string, state: string): Promise<void> {
  const lines: string[] = [];
  const io = {
    stdout: (l: string) => lines.push(l),
    stderr: (l: string) => lines.push(l),
    clock: () => new Date(NOW),
    env: {},
  };
  const status = await runCli(['--content', content, '--out', out, '--state', state, '--now', NOW, '--no-ping'], io);
  if (status !== 0) throw new Error(`build failed:\n${lines.join('\n')}`);
}

describe.skipIf(!chromium)('the digest in a real browser', () => {
  let browser: Browser;
  let root: string;
  const sample = { sample: '', stress: '' };

  beforeAll(async () => {
    browser = await launchBrowser();
    root = await mkdtemp(join(tmpdir(), 'newsfeeds-browser-'));
    sample.sample = join(root, 'sample');
    await build(sample.sample, 'content', join(root, 'state-sample'));
    // 200 candidates, the longest titles and excerpts, hostile text and words too long for a phone.
    const content = join(root, 'stress-content');
    await mkdir(content);
    for (let n = 0; n < 200; n += 1) {
      await writeFile(
        join(content, `s${n}.md`),
        numberedArticle(n, {
          title: `${n % 10 === 0 ? HOSTILE : ''}${'Supercalifragilisticexpialidocious'.repeat(3)} ${'word '.repeat(50)}`,
          excerpt: `${HOSTILE}${'An excerpt that goes on. '.repeat(60)}`,
          publishedDateTime: `2026-11-${String(10 + (n % 13)).padStart(2, '0')}T09:00:00Z`,
          provider: { name: `Provider ${n}`, domain: `p${n}.example` },
          topics: [`Topic ${n % 6}`],
        }),
      );
    }
    sample.stress = join(root, 'stress');
    await build(sample.stress, content, join(root, 'state-stress'));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  const open = (file: string, width: number, colorScheme: 'light' | 'dark' = 'light') =>
    openPage(browser, pathToFileURL(file).href, { width }, { colorScheme });

  async function unsubscribeLink(page: Page) {
    const link = page.getByRole('link', { name: 'Unsubscribe', exact: true });
    await expect(link.count()).resolves.toBe(1);
    await link.scrollIntoViewIfNeeded();
    return link;
  }

  for (const kind of ['sample', 'stress'] as const) {
    describe(`${kind} issue message`, () => {
      const mailFile = () => join(sample[kind], 'mail', `${ISSUE}.html`);

      it.each([320, 375, 640])(
        'fits %i px without horizontal scrolling, the unsubscribe link visible',
        async (width) => {
          const page = await open(mailFile(), width);
          const dialogs: string[] = [];
          page.on('dialog', (d) => {
            dialogs.push(d.message());
            void d.dismiss();
          });
          expect(await horizontalOverflow(page)).toBe(0);
          const link = await unsubscribeLink(page);
          expect(await link.isVisible()).toBe(true);
          const box = await link.boundingBox();
          expect(box && box.width > 0 && box.height > 0 && box.x >= 0 && box.x + box.width <= width).toBe(true);
          expect(await page.locator('script').count()).toBe(0);
          expect(dialogs).toEqual([]);
          await saveScreenshot(page, `digest-${kind}-${width}`);
          await page.close();
        },
      );

      it('has its unsubscribe link within the first 102 KB of the file (before Gmail clips)', async () => {
        const bytes = await readFile(mailFile());
        const at = bytes.indexOf('>Unsubscribe</a>');
        expect(at).toBeGreaterThan(0);
        expect(at).toBeLessThan(GMAIL_CLIP_BYTES);
        expect(bytes.byteLength).toBeLessThanOrEqual(100_000);
      });

      it.each(['light', 'dark'] as const)('has no serious or critical accessibility problem (%s)', async (scheme) => {
        const page = await open(mailFile(), 375, scheme);
        expect(await axeViolations(page)).toEqual([]);
        if (scheme === 'dark' && kind === 'sample') await saveScreenshot(page, `digest-${kind}-375-dark`);
        await page.close();
      });
    });
  }

  it.each([
    ['the web copy', `digests/${ISSUE}.html`],
    ['the archive page', 'digests/index.html'],
    ['the site index', 'index.html'],
  ])('%s has no serious or critical accessibility problem and fits a phone', async (_, file) => {
    for (const scheme of ['light', 'dark'] as const) {
      const page = await open(join(sample.sample, file), 320, scheme);
      expect(await horizontalOverflow(page)).toBe(0);
      expect(await axeViolations(page)).toEqual([]);
      await saveScreenshot(page, `${file.replace(/[/.]/g, '-')}-${scheme}`);
      await page.close();
    }
  });
});
