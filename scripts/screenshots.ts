// Screenshots of the sample issue for docs/ (README links them): the message at 375 and 640 px, built from content/
// at a fixed date. Remote images cannot load offline, so each is drawn as a neutral placeholder of its own size.
// Run: npm run screenshots
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runCli } from '../functions/cli.ts';
import { launchBrowser } from '../tests/support/browser.ts';

const NOW = '2026-11-24T12:00:00Z';
const root = await mkdtemp(join(tmpdir(), 'newsfeeds-shots-'));
try {
  const out = join(root, 'dist');
  const io = { stdout: () => {}, stderr: console.error, clock: () => new Date(NOW), env: {} };
  const args = ['--out', out, '--state', join(root, 'state'), '--now', NOW, '--no-ping'];
  if ((await runCli(args, io)) !== 0) throw new Error('the sample build failed');
  const browser = await launchBrowser();
  for (const width of [375, 640]) {
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    await page.route(/^https?:\/\//, (route) =>
      route.request().resourceType() === 'image'
        ? route.fulfill({
            contentType: 'image/svg+xml',
            body: '<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="630"><rect width="100%" height="100%" fill="#c9d1d9"/></svg>',
          })
        : route.abort(),
    );
    await page.goto(pathToFileURL(join(out, 'mail', '2026-W48.html')).href, { waitUntil: 'load' });
    await page.screenshot({ path: `docs/digest-${width}.png`, fullPage: true });
    console.error(`docs/digest-${width}.png`);
  }
  await browser.close();
} finally {
  await rm(root, { recursive: true, force: true });
}
