// `BENCH_HUGO_ONLY=1 npm run bench`: the full local build of the generated articles as a person runs it, one fresh
// process per run (start-up included), beside Hugo building the same files as an RSS-only site. Medians of
// BENCH_HUGO_RUNS runs (default 5) after one warm-up round; the commands take turns, so a busy machine slows all alike.
// Hugo is not installed here: without `hugo` on the PATH the project's own figures are printed alone.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pLimit from 'p-limit';
import { type GeneratedFile, generateArticles } from '../support/generate-articles.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const NOW = '2026-11-24T12:00:00Z';
const MIN_QUALITY = 40;
const ITEM_LIMIT = 50;
/** Issue #10: a full build in at most a third of Hugo's time, in under 150 MB. */
const TARGET_SHARE = 1 / 3;
const TARGET_MB = 150;

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
    await writeFile(
      config,
      JSON.stringify({
        title: 'Bench Wire',
        description: 'Generated news.',
        baseUrl: 'https://feeds.example.org/',
        author: { name: 'Bench' },
        idPrefix: 'tag:example.org,2026:',
        minQuality: MIN_QUALITY,
        itemLimit: ITEM_LIMIT,
      }),
    );
    const cli = (label: string, entry: string[], name: string): Command => {
      const out = join(root, `${name}-out`);
      const state = join(root, `${name}-state`);
      const options = ['--content', content, '--out', out, '--state', state, '--config', config, '--now', NOW];
      return { label, argv: [...entry, ...options, '--feeds-only', '--no-ping'], node: true, out, state };
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
    commands.push(
      cli('node --import tsx functions/cli.ts', [process.execPath, '--import', 'tsx', 'functions/cli.ts'], 'tsx'),
    );
    const bundle = join(REPO, 'build', 'newsfeeds.js');
    if (existsSync(bundle)) commands.push(cli('node build/newsfeeds.js', [process.execPath, bundle], 'bundle'));
    commands.push({ label: 'npm run -s env (npm start-up alone, no build)', argv: ['npm', 'run', '-s', 'env'] });

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
    rows.push(
      time
        ? '(MB = 10^6 bytes; peak resident memory of the measured process, from GNU time.)'
        : '(MB = 10^6 bytes; peak resident memory of the Node.js process, from process.resourceUsage().)',
    );
    return rows;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
