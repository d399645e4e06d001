// Local entry point: the same pipeline as the Lambda, on local folders. `npm start -- --help` lists the options.
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { describeProblem, parseDateTime } from './core/article.ts';
import { parseSiteConfig, type SiteConfig } from './core/config.ts';
import { ConfigError, StorageError } from './core/errors.ts';
import { formatSummary } from './core/summary.ts';
import { buildFeeds } from './pipeline/build.ts';
import { type Location, lazyS3Client, openStorage, parseLocation } from './storage/location.ts';

const USAGE = `Usage: npm start -- [options]

Builds RSS, Atom and JSON feeds, an OPML list and an index page from Markdown articles.

  --content DIR       folder of articles, or s3://bucket/prefix (default: content)
  --out DIR           output folder, or s3://bucket/prefix (default: dist)
  --config FILE       site configuration (default: site.config.json)
  --min-quality N     override minQuality from the configuration (0-100)
  --now ISO-DATE      the time to build for, e.g. 2026-11-24T12:00:00Z (default: the clock)
  --json              print the summary and every problem as JSON
  --help              show this text

Exit status: 0 when the feeds were built (even if some articles were skipped),
1 when nothing could be built (bad configuration, unreadable content folder), 2 on a usage error.`;

class UsageError extends Error {}

interface CliOptions {
  content: Location;
  out: Location;
  config: string;
  minQuality?: number;
  now: Date;
  json: boolean;
}

function parseOptions(argv: string[], clock: () => Date): CliOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      content: { type: 'string', default: 'content' },
      out: { type: 'string', default: 'dist' },
      config: { type: 'string', default: 'site.config.json' },
      'min-quality': { type: 'string' },
      now: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  let minQuality: number | undefined;
  if (values['min-quality'] !== undefined) {
    minQuality = Number(values['min-quality']);
    if (values['min-quality'].trim() === '' || !(minQuality >= 0 && minQuality <= 100)) {
      throw new UsageError(
        `--min-quality: expected a number from 0 to 100, got ${JSON.stringify(values['min-quality'])}`,
      );
    }
  }
  let now = clock();
  if (values.now !== undefined) {
    const parsed = parseDateTime(values.now);
    if (!parsed.ok) throw new UsageError(`--now: ${parsed.reason}`);
    now = parsed.date;
  }
  const location = (flag: string, value: string) => {
    try {
      return parseLocation(value);
    } catch (error) {
      throw new UsageError(`--${flag}: ${(error as Error).message}`);
    }
  };
  return {
    content: location('content', values.content),
    out: location('out', values.out),
    config: values.config,
    now,
    json: values.json,
    ...(minQuality === undefined ? {} : { minQuality }),
  };
}

async function readConfig(path: string): Promise<SiteConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read the site configuration ${path}: ${(error as Error).message}`, { cause: error });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return parseSiteConfig(raw, path);
}

export interface CliIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  clock: () => Date;
  /** The environment S3 clients are configured from (credentials, AWS_REGION, AWS_ENDPOINT_URL_S3). */
  env: Record<string, string | undefined>;
}

/** Runs the CLI and returns its exit status; all output goes through `io`, so tests can call it directly. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    const options = parseOptions(argv, io.clock);
    if (options === 'help') {
      io.stdout(USAGE);
      return 0;
    }
    const config = await readConfig(options.config);
    const s3 = lazyS3Client(io.env);
    const report = await buildFeeds({
      source: openStorage(options.content, s3, 'source'),
      destination: openStorage(options.out, s3, 'destination'),
      config: options.minQuality === undefined ? config : { ...config, minQuality: options.minQuality },
      now: options.now,
    });
    if (options.json) {
      io.stdout(JSON.stringify(report, null, 2));
    } else {
      for (const { file, problems } of report.rejected) {
        for (const problem of problems) io.stderr(`skipped ${describeProblem(file, problem)}`);
      }
      for (const { file, problem } of report.warnings) io.stderr(`warning ${describeProblem(file, problem)}`);
      io.stdout(formatSummary(report.summary));
    }
    return 0;
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`${(error as Error).message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof ConfigError || error instanceof StorageError) {
      io.stderr(error.message);
      return 1;
    }
    throw error;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const status = await runCli(process.argv.slice(2), {
    stdout: (line) => console.log(line),
    stderr: (line) => console.error(line),
    clock: () => new Date(),
    env: process.env,
  });
  process.exitCode = status;
}
