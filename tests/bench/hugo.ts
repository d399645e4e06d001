// The whole-process part of `npm run bench` (alone: `BENCH_HUGO_ONLY=1`): the full local build of the generated
// articles as a person runs it (`node build/newsfeeds.js`: every feed, the front page and the digest issue with its
// sample message), one fresh process per run, start-up included, beside Hugo building the same files as an RSS-only
// site. Medians of BENCH_HUGO_RUNS runs (default 5) after one warm-up round; the commands take turns, so a busy
// machine slows all alike. Without `hugo` on the PATH the project's own figures are printed alone. Then the warm runs
// (nothing changed; 10 articles changed) and the peak memory of a first and a warm build at 10,000, 50,000 and
// 100,000 articles (BENCH_SCALES, comma-separated).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pLimit from 'p-limit';
import { type GeneratedFile, generateArticles } from '../support/generate-articles.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const NOW = '2026-11-24T12:00:00Z';
const MIN_QUALITY = 40;
const ITEM_LIMIT = 50;
/** Issue #10: a full build in at most a third of Hugo's time, in under 150 MB; a warm one in under half a second. */
const TARGET_SHARE = 1 / 3;
const TARGET_MB = 150;
const TARGET_WARM_SECONDS = 0.5;
/** The digest section of the bench's site: the full build prepares the week's issue and a sample reader's message. */
const DIGEST = {
  weekday: 'monday',
  hour: 7,
  timeZone: 'Europe/Berlin',
  from: { name: 'Bench Wire', address: 'digest@example.org' },
  postalAddress: 'Bench Wire, 1 Example Street, 10115 Berlin, Germany',
  lookBackDays: 14,
  sampleRecipient: 'reader@example.com',
};
const SITE_CONFIG = JSON.stringify({
  title: 'Bench Wire',
  description: 'Generated news.',
  baseUrl: 'https://feeds.example.org/',
  author: { name: 'Bench' },
  idPrefix: 'tag:example.org,2026:',
  minQuality: MIN_QUALITY,
  itemLimit: ITEM_LIMIT,
  digest: DIGEST,
});

// The same feeds as the project builds (the site, each topic, each category), RSS only: the project also writes Atom,
// JSON Feed, OPML, an index page and its manifest, so Hugo has the lighter job. Pages are listed but never rendered.
const HUGO_CONFIG = `baseURL = "https://feeds.example.org/"
title = "Bench Wire"
languageCode = "en"
rssLimit = ${ITEM_LIMIT}
disableKinds = ["sitemap", "robotsTXT", "404", "section", "taxonomy"]
ignoreErrors = ["error-disable-taxonomy"]
[taxonomies]
topic = "topics"
category = "category"
[outputs]
home = ["RSS"]
term = ["RSS"]
page = []
[[cascade]]
[cascade._build]
render = "never"
list = "always"
[cascade._target]
kind = "page"
`;

// Like the project's RSS: the quality bar, newest first, the item limit, the excerpt and the rendered body per item.
const HUGO_RSS = `{{- $pages := where (cond .IsHome .Site.RegularPages .Pages) "Params.quality" "ge" ${MIN_QUALITY} -}}
{{- $pages = first ${ITEM_LIMIT} $pages.ByDate.Reverse -}}
{{- printf "<?xml version=\\"1.0\\" encoding=\\"utf-8\\"?>" | safeHTML }}
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
  <channel>
    <title>{{ .Title }}</title>
    <link>{{ .Permalink }}</link>
    <description>{{ .Site.Title }}</description>
    <language>{{ .Site.LanguageCode }}</language>
    {{- range $pages }}
    <item>
      <title>{{ .Title }}</title>
      <link>{{ .Params.webUrl }}</link>
      <guid isPermaLink="false">{{ .File.BaseFileName }}</guid>
      <pubDate>{{ .Date.Format "Mon, 02 Jan 2006 15:04:05 -0700" | safeHTML }}</pubDate>
      <description>{{ .Params.excerpt }}</description>
      <content:encoded>{{ .Content | html }}</content:encoded>
      {{- with .Params.category }}<category>{{ . }}</category>{{ end }}
      {{- range .Params.topics }}<category>{{ . }}</category>{{ end }}
    </item>
    {{- end }}
  </channel>
</rss>
`;

/** The project's front matter in Hugo's words: `date`, and `draft` for an article that is not published. */
function forHugo(text: string): string {
  return text
    .replace(/^publishedDateTime:/m, 'date:')
    .replace(/^published: (true|false)$/m, (_, published) => `draft: ${published === 'false'}`);
}

interface Command {
  label: string;
  /** The program and its arguments, run from the repository. */
  argv: string[];
  /** Node.js runs it: without GNU time, a preloaded module reports its own peak memory. */
  node?: boolean;
  /** A fresh output (and state) folder for each run, so every run is a full build. */
  out?: string;
  state?: string;
}

interface Run {
  seconds: number;
  /** Peak resident memory of the child process tree, in bytes; undefined when it cannot be measured here. */
  peakBytes: number | undefined;
}

/** GNU time (`/usr/bin/time`), which reports the peak resident memory of the process it runs. */
function gnuTime(): string | undefined {
  const path = '/usr/bin/time';
  if (!existsSync(path)) return undefined;
  const probe = spawnSync(path, ['-f', '%M', 'true'], { encoding: 'utf8' });
  return probe.status === 0 && /^\d+\s*$/.test(probe.stderr) ? path : undefined;
}

// Without GNU time: written into the scratch folder and preloaded into Node.js commands, it leaves the process's own
// peak resident memory (KiB, as GNU time reports it) in the file that BENCH_PEAK_FILE names.
const PEAK_REPORTER = `import { writeFileSync } from 'node:fs';
process.on('exit', () => writeFileSync(process.env.BENCH_PEAK_FILE, String(process.resourceUsage().maxRSS)));
`;

// The least any Node.js build of these files does: start, list the folder with sizes and dates, read every file and
// parse its front matter with js-yaml (no validation, no Markdown, no output). Beside Hugo it shows how much of a third
// of Hugo's time is gone before a build has done anything of its own.
const LEAST = (yamlUrl: string) => `import { readdirSync, readFileSync, statSync } from 'node:fs';
import yaml from ${JSON.stringify(yamlUrl)};
const folder = process.argv[2];
let published = 0;
for (const name of readdirSync(folder)) {
  const path = folder + '/' + name;
  statSync(path);
  const text = readFileSync(path, 'utf8');
  const data = yaml.load(text.slice(4, text.indexOf('\\n---', 3)), { schema: yaml.CORE_SCHEMA });
  if (data?.published === true) published += 1;
}
console.log(published);
`;

function runOnce(command: Command, time: string | undefined, scratch: string): Run {
  for (const folder of [command.out, command.state]) if (folder) rmSync(folder, { recursive: true, force: true });
  const report = join(scratch, 'peak.txt');
  rmSync(report, { force: true });
  const [program = '', ...args] = command.argv;
  const argv = time
    ? [time, '-f', '%M', '-o', report, program, ...args]
    : command.node
      ? [program, '--import', pathToFileURL(join(scratch, 'peak-reporter.mjs')).href, ...args]
      : command.argv;
  const start = process.hrtime.bigint();
  const child = spawnSync(argv[0]!, argv.slice(1), {
    cwd: REPO,
    env: { ...process.env, BENCH_PEAK_FILE: report },
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (child.status !== 0) {
    throw new Error(`${command.label} failed (exit ${child.status ?? child.signal}):\n${child.stderr}`);
  }
  const kib = existsSync(report) ? Number(readFileSync(report, 'utf8').trim().split('\n').at(-1)) : Number.NaN;
  return { seconds, peakBytes: Number.isFinite(kib) ? kib * 1024 : undefined };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

function countFiles(folder: string | undefined): number | undefined {
  if (!folder || !existsSync(folder)) return undefined;
  return readdirSync(folder, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).length;
}

async function writeAll(folder: string, files: readonly GeneratedFile[], map: (text: string) => string) {
  await mkdir(folder, { recursive: true });
  const limit = pLimit(64);
  await Promise.all(files.map(({ key, text }) => limit(() => writeFile(join(folder, key), map(text)))));
}

export async function benchHugo(count: number): Promise<string[]> {
  const runs = Number(process.env.BENCH_HUGO_RUNS ?? 5);
  const root = await mkdtemp(join(tmpdir(), 'newsfeeds-hugo-'));
  try {
    const files = generateArticles({ count });
    const content = join(root, 'content');
    await writeAll(content, files, (text) => text);
    const config = join(root, 'site.config.json');
    await writeFile(config, SITE_CONFIG);
    const cli = (label: string, entry: string[], name: string): Command => {
      const out = join(root, `${name}-out`);
      const state = join(root, `${name}-state`);
      const options = ['--content', content, '--out', out, '--state', state, '--config', config, '--now', NOW];
      return { label, argv: [...entry, ...options, '--no-ping'], node: true, out, state };
    };

    const commands: Command[] = [];
    const hugoVersion = spawnSync('hugo', ['version'], { encoding: 'utf8' });
    const hugo = hugoVersion.status === 0;
    if (hugo) {
      const site = join(root, 'hugo');
      await writeAll(join(site, 'content'), files, forHugo);
      await mkdir(join(site, 'layouts', '_default'), { recursive: true });
      await writeFile(join(site, 'config.toml'), HUGO_CONFIG);
      await writeFile(join(site, 'layouts', '_default', 'rss.xml'), HUGO_RSS);
      const out = join(root, 'hugo-out');
      // --buildFuture: Hugo would otherwise hold back by this machine's clock what the CLI's --now lets through.
      const argv = ['hugo', '--quiet', '--buildFuture', '--source', site, '--destination', out];
      commands.push({ label: 'hugo (RSS only)', argv, out });
    }
    const bundle = join(REPO, 'build', 'newsfeeds.js');
    if (!existsSync(bundle)) throw new Error('build/newsfeeds.js is missing: run npm run build:cli first');
    commands.push(cli('node build/newsfeeds.js', [process.execPath, bundle], 'bundle'));
    commands.push({ label: 'npm run -s env (npm start-up alone, no build)', argv: ['npm', 'run', '-s', 'env'] });
    const least = join(root, 'least.mjs');
    await writeFile(least, LEAST(pathToFileURL(createRequire(import.meta.url).resolve('js-yaml')).href));
    const leastCommand: Command = {
      label: 'node: start, list, read, parse the YAML (the least a build does)',
      argv: [process.execPath, least, content],
      node: true,
    };
    commands.push(leastCommand);

    const time = gnuTime();
    if (!time) await writeFile(join(root, 'peak-reporter.mjs'), PEAK_REPORTER);
    const measured = new Map<Command, Run[]>(commands.map((command) => [command, []]));
    for (let round = 0; round <= runs; round += 1) {
      for (const command of commands) {
        const run = runOnce(command, time, root);
        if (round > 0) measured.get(command)?.push(run); // round 0 warms the page cache and Hugo's own caches
      }
    }

    const rows: string[] = [];
    if (hugo) rows.push(`Hugo: ${hugoVersion.stdout.trim()}`);
    else rows.push('Hugo: not on the PATH (on Debian: apt-get install -y hugo); the ratio is skipped.');
    rows.push(`${count} generated articles, ${runs} runs each after a warm-up round, ${process.version}.`);
    if (!time)
      rows.push('Peak memory: no GNU time at /usr/bin/time, so Node.js commands report their own; n/a for others.');
    rows.push(
      '',
      '| command | median time | fastest | median peak RSS | files written |',
      '| --- | --- | --- | --- | --- |',
    );
    const medians = new Map<Command, { seconds: number; mb: number | undefined }>();
    for (const command of commands) {
      const all = measured.get(command) ?? [];
      const peaks = all.flatMap((run) => (run.peakBytes === undefined ? [] : [run.peakBytes]));
      const seconds = median(all.map((run) => run.seconds));
      const mb = peaks.length > 0 ? median(peaks) / 1e6 : undefined;
      medians.set(command, { seconds, mb });
      const fastest = Math.min(...all.map((run) => run.seconds));
      const files = countFiles(command.out);
      rows.push(
        `| ${command.label} | ${seconds.toFixed(2)} s | ${fastest.toFixed(2)} s | ${mb === undefined ? 'n/a' : `${mb.toFixed(0)} MB`} | ${files ?? ''} |`,
      );
    }
    rows.push('');
    const hugoRun = hugo ? medians.get(commands[0]!) : undefined;
    for (const command of commands.filter((c) => c.state)) {
      const ours = medians.get(command)!;
      const share = hugoRun ? ours.seconds / hugoRun.seconds : undefined;
      const timeVerdict =
        share === undefined
          ? 'no Hugo time to compare'
          : `${share.toFixed(2)} of Hugo's time (target ≤ ${TARGET_SHARE.toFixed(2)}): ${share <= TARGET_SHARE ? 'met' : 'not met'}`;
      const memoryVerdict =
        ours.mb === undefined
          ? 'peak memory not measured'
          : `peak ${ours.mb.toFixed(0)} MB (target < ${TARGET_MB} MB): ${ours.mb < TARGET_MB ? 'met' : 'not met'}`;
      rows.push(`- ${command.label}: ${timeVerdict}; ${memoryVerdict}.`);
    }
    const leastRun = medians.get(leastCommand);
    if (hugoRun && leastRun) {
      rows.push(`- the least a build does: ${(leastRun.seconds / hugoRun.seconds).toFixed(2)} of Hugo's time.`);
    }
    rows.push(
      time
        ? '(MB = 10^6 bytes; peak resident memory of the measured process, from GNU time.)'
        : '(MB = 10^6 bytes; peak resident memory of the Node.js process, from process.resourceUsage().)',
    );
    rows.push('', ...warmRuns(bundle, files, content, config, root, runs, time));
    return rows;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const formatRun = (label: string, all: Run[], verdict = '') => {
  const seconds = median(all.map((r) => r.seconds));
  const peaks = all.flatMap((r) => (r.peakBytes === undefined ? [] : [r.peakBytes]));
  const mb = peaks.length > 0 ? `${(median(peaks) / 1e6).toFixed(0)} MB` : 'n/a';
  return `| ${label} | ${seconds.toFixed(2)} s | ${mb} | ${verdict} |`;
};

/**
 * Warm builds as cron would run them, each a fresh process on the state the previous run left: nothing changed, and
 * 10 articles changed (10 different files each run, so every run has exactly 10 changes to read).
 */
function warmRuns(
  bundle: string,
  files: readonly GeneratedFile[],
  content: string,
  config: string,
  root: string,
  runs: number,
  time: string | undefined,
): string[] {
  const out = join(root, 'warm-out');
  const state = join(root, 'warm-state');
  const options = ['--content', content, '--out', out, '--state', state, '--config', config, '--now', NOW, '--no-ping'];
  const command: Command = { label: 'warm', argv: [process.execPath, bundle, ...options], node: true };
  runOnce({ ...command, out, state }, time, root); // the first build, which the warm runs start from
  const unchanged: Run[] = [];
  const changed: Run[] = [];
  for (let round = 0; round < runs; round += 1) {
    unchanged.push(runOnce(command, time, root));
    for (const file of files.slice(round * 10, round * 10 + 10)) {
      writeFileSync(join(content, file.key), file.text.replace(/^title: "/m, `title: "Edited ${round}: `));
    }
    changed.push(runOnce(command, time, root));
  }
  const verdict = (all: Run[]) => {
    const seconds = median(all.map((r) => r.seconds));
    return `target < ${TARGET_WARM_SECONDS} s: ${seconds < TARGET_WARM_SECONDS ? 'met' : 'not met'}`;
  };
  return [
    `Warm builds of the same ${files.length} articles, \`node build/newsfeeds.js\` on the state the previous run left, medians of ${runs}:`,
    '',
    '| warm run | median time | median peak RSS | |',
    '| --- | --- | --- | --- |',
    formatRun('nothing changed (reads no article, writes nothing)', unchanged, verdict(unchanged)),
    formatRun('10 articles changed', changed, verdict(changed)),
  ];
}

/**
 * Peak memory (and time) of one first build and one warm rebuild at each size, fresh processes on fresh folders: how
 * memory grows with the number of articles. Issue #10: at 100,000 at most three times the 10,000 figure.
 */
export async function benchScales(scales: readonly number[]): Promise<string[]> {
  const bundle = join(REPO, 'build', 'newsfeeds.js');
  const time = gnuTime();
  const rows = [
    '| articles | first build | its peak RSS | warm rebuild | its peak RSS |',
    '| --- | --- | --- | --- | --- |',
  ];
  const peaks = new Map<number, number>();
  for (const count of scales) {
    const root = await mkdtemp(join(tmpdir(), 'newsfeeds-scale-'));
    try {
      if (!time) await writeFile(join(root, 'peak-reporter.mjs'), PEAK_REPORTER);
      const content = join(root, 'content');
      await writeAll(content, generateArticles({ count }), (text) => text);
      const config = join(root, 'site.config.json');
      await writeFile(config, SITE_CONFIG);
      const out = join(root, 'out');
      const state = join(root, 'state');
      const argv = [process.execPath, bundle, '--content', content, '--out', out, '--state', state];
      const command: Command = {
        label: `${count}`,
        argv: [...argv, '--config', config, '--now', NOW, '--no-ping'],
        node: true,
      };
      const first = runOnce({ ...command, out, state }, time, root);
      const warm = runOnce(command, time, root);
      const mb = (run: Run) => (run.peakBytes === undefined ? 'n/a' : `${(run.peakBytes / 1e6).toFixed(0)} MB`);
      if (first.peakBytes !== undefined) peaks.set(count, first.peakBytes);
      rows.push(
        `| ${count} | ${first.seconds.toFixed(2)} s | ${mb(first)} | ${warm.seconds.toFixed(2)} s | ${mb(warm)} |`,
      );
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }
  const small = peaks.get(10_000);
  const large = peaks.get(100_000);
  if (small && large) {
    const ratio = large / small;
    rows.push(
      '',
      `Peak at 100,000 / peak at 10,000: ${ratio.toFixed(2)} (target ≤ 3): ${ratio <= 3 ? 'met' : 'not met'}.`,
    );
  }
  return rows;
}
