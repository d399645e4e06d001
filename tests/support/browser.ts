// Real-browser test harness: finds a Chromium that runs on this closed network, opens pages that can only reach
// file: and loopback URLs, and measures what a person would notice (horizontal scrolling, axe violations, a screenshot).
//
// Where the browser comes from, first found wins:
//   1. env CHROMIUM_PATH (must exist, or findChromium() rejects);
//   2. the devDependency @sparticuz/chromium: a brotli-compressed headless Chromium inside the npm package, decompressed
//      once per package version into node_modules/.cache/newsfeeds-chromium/<version>/chromium (~190 MB, ~2 s);
//   3. Debian's chromium (`apt-get install -y chromium`), launched as /usr/lib/chromium/chromium, not the /usr/bin wrapper.
// None found: findChromium() resolves undefined and suites skip with `describe.skipIf(!chromium)`.
import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createBrotliDecompress } from 'node:zlib';
import type { AxeResults, ImpactValue, NodeResult } from 'axe-core';
import { type Browser, chromium, type Page } from 'playwright-core';

const require = createRequire(import.meta.url);
const run = promisify(execFile);

/** Debian's real binary; /usr/bin/chromium is a shell wrapper that prints a harmless error under playwright. */
export const DEBIAN_CHROMIUM = '/usr/lib/chromium/chromium';

/** Printed by suites that skip because no browser was found. */
export const CHROMIUM_MISSING_MESSAGE =
  'No Chromium found: browser tests skipped. Run `npm install` (brings @sparticuz/chromium), ' +
  'or `apt-get install -y chromium`, or set CHROMIUM_PATH to a Chromium binary.';

/**
 * Flags for this closed network. Without the background-networking ones Chromium keeps trying (and failing) to reach
 * Google's hosts. Playwright adds its own (--no-sandbox as root, a fresh --user-data-dir, ...).
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Screenshots land here; the folder is git-ignored. */
export const SCREENSHOT_DIR = fileURLToPath(new URL('../artifacts/screenshots/', import.meta.url));

let found: Promise<string | undefined> | undefined;

/**
 * The Chromium a browser suite runs with. Locally a missing browser skips the suite (`describe.skipIf`) with a hint;
 * in CI (`CI=true`: .ci/run installs one) it is a failure, so the suite can never pass by not running.
 */
export async function chromiumForSuite(): Promise<string | undefined> {
  const chromium = await findChromium();
  if (!chromium && process.env.CI === 'true') throw new Error(CHROMIUM_MISSING_MESSAGE);
  if (!chromium) console.warn(CHROMIUM_MISSING_MESSAGE);
  return chromium;
}

/** Path of a Chromium that starts here, or undefined. Looked up once per process. */
export function findChromium(): Promise<string | undefined> {
  found ??= locateChromium();
  return found;
}

async function locateChromium(): Promise<string | undefined> {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH=${fromEnv} does not exist`);
    return fromEnv;
  }
  const fromNpm = await sparticuzChromium();
  if (fromNpm) return fromNpm;
  if (existsSync(DEBIAN_CHROMIUM) && (await starts(DEBIAN_CHROMIUM))) return DEBIAN_CHROMIUM;
  return undefined;
}

/**
 * Decompresses @sparticuz/chromium's bin/chromium.br ourselves instead of calling its executablePath(): that one
 * writes straight to /tmp/chromium and reuses whatever file is there, so a run interrupted mid-write, two test workers
 * at once, or an older package version leave a broken or stale binary behind. Here the file is keyed by version and
 * renamed into place only when complete.
 */
async function sparticuzChromium(): Promise<string | undefined> {
  let root: string;
  try {
    root = join(dirname(require.resolve('@sparticuz/chromium')), '..', '..');
  } catch {
    return undefined; // not installed
  }
  try {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    const dir = join(root, '..', '..', '.cache', 'newsfeeds-chromium', version);
    const exe = join(dir, 'chromium');
    if (!existsSync(exe)) {
      await mkdir(dir, { recursive: true });
      const part = `${exe}.${process.pid}.${Date.now()}.part`;
      try {
        await pipeline(
          createReadStream(join(root, 'bin', 'chromium.br')),
          createBrotliDecompress(),
          createWriteStream(part, { mode: 0o755 }),
        );
        await rename(part, exe);
      } finally {
        await rm(part, { force: true });
      }
    }
    if (await starts(exe)) return exe;
    console.warn(`@sparticuz/chromium ${version} does not start here (${exe} --version failed); trying Debian's`);
  } catch (error) {
    console.warn(`@sparticuz/chromium unusable here, trying Debian's: ${String(error)}`);
  }
  return undefined;
}

/** `--version` fails fast when a shared library is missing. */
async function starts(exe: string): Promise<boolean> {
  try {
    await run(exe, ['--version'], { timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

/** Launches the Chromium found by findChromium(); throws if there is none. Close it yourself, or use withBrowser. */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = await findChromium();
  if (!executablePath) throw new Error(CHROMIUM_MISSING_MESSAGE);
  return chromium.launch({ executablePath, args: [...CHROMIUM_ARGS] });
}

/** Runs fn with a fresh browser and closes it afterwards, also when fn throws. */
export async function withBrowser<T>(fn: (browser: Browser) => Promise<T>): Promise<T> {
  const browser = await launchBrowser();
  try {
    return await fn(browser);
  } finally {
    await browser.close();
  }
}

/** file:, data:, about: and blob: pages, and http(s) on loopback. Everything else is aborted. */
export function isAllowedUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (['file:', 'data:', 'about:', 'blob:'].includes(parsed.protocol)) return true;
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return false;
  return ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname);
}

export interface OpenPageOptions {
  colorScheme?: 'light' | 'dark';
}

/**
 * Opens url in a new context with the given viewport (height defaults to 800) and waits for DOMContentLoaded, not
 * load: remote images never load offline. Requests outside file: and loopback are aborted, so nothing waits on the
 * network. Closing the page closes its context.
 */
export async function openPage(
  browser: Browser,
  url: string,
  viewport: { width: number; height?: number },
  opts: OpenPageOptions = {},
): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: viewport.width, height: viewport.height ?? 800 },
    colorScheme: opts.colorScheme ?? 'light',
    serviceWorkers: 'block',
  });
  await context.route('**/*', (route) => (isAllowedUrl(route.request().url()) ? route.continue() : route.abort()));
  const page = await context.newPage();
  page.once('close', () => {
    context.close().catch(() => {});
  });
  try {
    await page.goto(url, { waitUntil: 'domcontentloaded' });
  } catch (error) {
    await context.close();
    throw error;
  }
  return page;
}

/** scrollWidth - clientWidth of the root element: 0 means the page does not scroll sideways. */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => {
    // runs in the page; the project's tsconfig has no DOM lib, hence the local shape
    const root = (
      globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }
    ).document.documentElement;
    return Math.max(0, root.scrollWidth - root.clientWidth);
  });
}

export interface AxeViolation {
  id: string;
  impact: ImpactValue | undefined;
  help: string;
  /** CSS selectors of the offending elements. */
  nodes: string[];
}

let axeSource: string | undefined;

/** Runs axe-core on the whole document and returns the violations whose impact is in impacts. */
export async function axeViolations(
  page: Page,
  impacts: readonly ImpactValue[] = ['serious', 'critical'],
): Promise<AxeViolation[]> {
  axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  // Evaluated, not added as a <script>: a page whose Content-Security-Policy forbids inline script (the API's) blocks that.
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const { axe, document } = globalThis as unknown as {
      axe: { run: (context: unknown) => Promise<AxeResults> };
      document: unknown;
    };
    const results = await axe.run(document);
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n: NodeResult) => n.target.map((t) => (Array.isArray(t) ? t.join(' >>> ') : t)).join(' | ')),
    }));
  });
  return violations.filter((v) => impacts.includes(v.impact ?? null));
}

/** Full-page PNG at tests/artifacts/screenshots/<name>.png; returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  if (!/^[\w.-]+$/.test(name)) throw new Error(`screenshot name must be [A-Za-z0-9_.-]+, got ${JSON.stringify(name)}`);
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
