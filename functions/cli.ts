// Local entry point: the same pipeline as the Lambda, on local folders. `npm start -- --help` lists the options.
// scripts/build-cli.ts bundles it into build/newsfeeds.js, the `newsfeeds` bin that `npm start` runs.
import { randomBytes, randomUUID } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { knownFailure, UsageError } from './cli-failure.ts';
import { describeProblem, parseDateTime } from './core/article.ts';
import { isSecureOrLocal, parseSiteConfigText, type SiteConfig } from './core/config.ts';
import { ConfigError, StorageError } from './core/errors.ts';
import type { SkipReason } from './core/select.ts';
import { formatSummary } from './core/summary.ts';
import { printable } from './core/text.ts';
import { parseWebUrl } from './core/urls.ts';
import { ENV } from './env.ts';
import { allocateYoungFirst, keepHeapSmall } from './heap.ts';
import type { BuildProgress, BuildReport } from './pipeline/build.ts';
import { type DigestReport, prepareDigest } from './pipeline/digest.ts';
import type { Lease } from './pipeline/lease.ts';
import type { LoadedArticles } from './pipeline/load.ts';
import { buildFeedsUnderLease } from './pipeline/locked-build.ts';
import { FileLease } from './storage/file-lease.ts';
import { type Location, lazyS3Client, openStorage, parseLocation } from './storage/location.ts';
import type { Storage } from './storage/port.ts';
import { createTokenSigner, generateKeyringText, type Keyring, parseKeyring } from './subscribers/tokens.ts';

const USAGE = `Usage: npm start -- [options]
   or: node build/newsfeeds.js [options]     (npx newsfeeds [options]; after npm run build:cli)

Builds RSS, Atom and JSON feeds, an OPML list and an index page from Markdown articles,
then (when the configuration has a "digest" section) prepares the weekly digest issue due
at --now: its web copy and archive in the output folder, and the message a sample reader
would get as .html, .txt and .eml files in the mail folder.

  --content DIR       folder of articles, or s3://bucket/prefix (default: content)
  --out DIR           output folder, or s3://bucket/prefix (default: dist)
  --config FILE       site configuration (default: site.config.json)
  --base-url URL      override baseUrl, e.g. for a local preview: --base-url "file://$PWD/dist/"
  --min-quality N     override minQuality from the configuration (0-100)
  --now ISO-DATE      the time to build for, e.g. 2026-11-24T12:00:00Z (default: the clock)
  --allow-shrink      build even when that deletes most topic and category feeds or
                      publishes nothing where feeds exist (refused otherwise)
  --no-ping           do not notify the WebSub hub (hubUrl) of the feeds that changed
                      (never done with --base-url)
  --state DIR         the feeds' manifest (so that a rebuild reads only the articles that
                      changed), the digest's state (issue numbers, articles already sent) and
                      the local signing key for links in mail; or s3://bucket/prefix
                      (default: .state)
  --full              read every article, ignoring the manifest (a fresh one is still kept)
  --mail DIR          where the sample message goes (default: the output folder's mail/)
  --sample-topics T   the sample reader's topics, comma-separated (default: every topic)
  --feeds-only        build the feeds, not the digest
  --digest-only       prepare the digest, not the feeds
  --json              print the summary, every skipped file and every problem as JSON
  --verbose           also list every skipped file with its reason on stderr
  --help              show this text

Another build with the same state (a cron job, the deployed builder for an s3:// state, which
needs LOCK_TABLE) is never overlapped: this run then leaves it a mark to build once more, and exits.

Exit status: 0 when the feeds were built (even if some articles were skipped), or left to
another build that holds the lock; 1 when nothing could be built (bad configuration,
unreadable content folder, output in the way, an s3:// state without LOCK_TABLE),
2 on a usage error, 3 when the build was refused as a likely mistake (see --allow-shrink).`;

interface CliOptions {
  content: Location;
  out: Location;
  config: string;
  baseUrl?: string;
  minQuality?: number;
  now: Date;
  allowShrink: boolean;
  ping: boolean;
  state: Location;
  full: boolean;
  mail?: string;
  sampleTopics?: string[];
  feeds: boolean;
  digest: boolean;
  json: boolean;
  verbose: boolean;
}

/** `--base-url`: like baseUrl, or a file: URL so that the output opens straight from the disk. */
function baseUrlOption(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(
      `--base-url: expected an absolute URL such as http://localhost:8000/ or file:///path/to/dist/`,
    );
  }
  if (url.protocol !== 'file:') {
    const web = parseWebUrl(value);
    if (!web.ok) throw new UsageError(`--base-url: ${web.reason}, got ${JSON.stringify(value)}`);
  }
  if (url.search || url.hash) throw new UsageError('--base-url: must not have a query (?…) or fragment (#…)');
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}

function parseOptions(argv: string[], clock: () => Date): CliOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      content: { type: 'string', default: 'content' },
      out: { type: 'string', default: 'dist' },
      config: { type: 'string', default: 'site.config.json' },
      'base-url': { type: 'string' },
      'min-quality': { type: 'string' },
      now: { type: 'string' },
      'allow-shrink': { type: 'boolean', default: false },
      'no-ping': { type: 'boolean', default: false },
      state: { type: 'string', default: '.state' },
      full: { type: 'boolean', default: false },
      mail: { type: 'string' },
      'sample-topics': { type: 'string' },
      'feeds-only': { type: 'boolean', default: false },
      'digest-only': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
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
  if (values['feeds-only'] && values['digest-only']) {
    throw new UsageError('--feeds-only and --digest-only: choose one (without either, both are built)');
  }
  const out = location('out', values.out);
  if (values.mail?.startsWith('s3://')) {
    throw new UsageError('--mail: expected a local folder (mail files are never written to a bucket)');
  }
  const sampleTopics = values['sample-topics']
    ?.split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  return {
    content: location('content', values.content),
    out,
    config: values.config,
    state: location('state', values.state),
    full: values.full,
    // Mail files sit next to a local site (dist/mail/), never in a bucket.
    ...(values.mail !== undefined ? { mail: values.mail } : out.kind === 'fs' ? { mail: `${out.path}/mail` } : {}),
    ...(sampleTopics && sampleTopics.length > 0 ? { sampleTopics } : {}),
    feeds: !values['digest-only'],
    digest: !values['feeds-only'],
    now,
    allowShrink: values['allow-shrink'],
    ping: !values['no-ping'],
    json: values.json,
    verbose: values.verbose,
    ...(minQuality === undefined ? {} : { minQuality }),
    ...(values['base-url'] === undefined ? {} : { baseUrl: baseUrlOption(values['base-url']) }),
  };
}

/**
 * `--base-url`: the whole site is served there for this run. An http(s) preview server also stands for the home page
 * and (when https or on this machine) the subscriber API, `api/` under its origin, so no link of a preview leads to
 * the real site; a `file:` base URL moves only the feeds.
 */
function servedFrom(config: SiteConfig, baseUrl: string): SiteConfig {
  if (new URL(baseUrl).protocol === 'file:') return { ...config, baseUrl };
  const apiUrl = new URL('/api/', baseUrl).href;
  // Mail links into the API must be https, or on this machine; another plain-http server keeps the configured API.
  const movesApi = config.digest !== undefined && isSecureOrLocal(apiUrl);
  return { ...config, baseUrl, siteUrl: baseUrl, ...(movesApi ? { digest: { ...config.digest!, apiUrl } } : {}) };
}

async function readConfig(path: string): Promise<SiteConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read the site configuration ${path}: ${(error as Error).message}`, { cause: error });
  }
  return parseSiteConfigText(text, path);
}

/** Problems always (they need a person); skipped files with --verbose; the summary last, on stdout. */
function printReport(report: Omit<BuildReport, 'loaded'>, verbose: boolean, io: CliIo): void {
  for (const { file, problems } of report.rejected) {
    for (const problem of problems) io.stderr(`skipped ${describeProblem(file, problem)}`);
  }
  for (const { file, problem } of report.warnings) io.stderr(`warning ${describeProblem(file, problem)}`);
  if (verbose) {
    for (const { file, reason, duplicateOf } of report.skipped) {
      io.stderr(
        `skipped ${printable(file)}: ${SKIP_REASONS[reason]}${duplicateOf ? ` ${printable(duplicateOf)}` : ''}`,
      );
    }
  }
  for (const ping of report.pings) {
    if (!ping.ok) io.stderr(`warning WebSub hub not notified of ${ping.feedUrl}: ${ping.error}`);
    else if (verbose) io.stderr(`notified the WebSub hub of ${ping.feedUrl}`);
  }
  if (!report.refused) io.stdout(formatSummary(report.summary));
}

const OUTCOMES: Record<DigestReport['outcome'], string> = {
  'not-due': 'no issue due yet this week',
  empty: 'no new article this week, so no issue (digest.skipEmptyWeek)',
  prepared: 'prepared',
  resumed: 'prepared again after an interrupted run, with the same articles',
  rewritten: 'already complete this week, its files rewritten where they changed',
};

function printDigest(report: DigestReport, mail: Storage | undefined, io: CliIo): void {
  const issue = report.issue;
  if (!issue) {
    io.stdout(`digest: ${OUTCOMES[report.outcome]}`);
    return;
  }
  const extra = [
    issue.overProviderCap > 0 ? `${issue.overProviderCap} left out by the per-provider cap` : '',
    issue.gone > 0 ? `${issue.gone} no longer published` : '',
  ].filter(Boolean);
  io.stdout(
    `digest: issue ${issue.id} (#${issue.number}) ${OUTCOMES[report.outcome]}: ${issue.shown} ${issue.shown === 1 ? 'story' : 'stories'}${extra.length ? ` (${extra.join(', ')})` : ''}`,
  );
  const sample = report.sample;
  if (sample && mail) {
    if (sample.keys.length === 0) {
      io.stdout(`digest: nothing in the sample reader's topics this week, so no sample message`);
    } else {
      const cut = sample.omitted > 0 ? `, ${sample.omitted} more in the web copy only` : '';
      io.stdout(
        `digest: sample message for ${sample.recipient} → ${mail.displayName(sample.keys.find((k) => k.endsWith('.eml'))!)} (${Math.ceil(sample.htmlBytes / 1024)} KB of HTML, ${sample.shown} shown${cut})`,
      );
    }
  }
}

const KEYRING_KEY = 'signing-keys.json';

/**
 * The keys that sign the links in local mail and hash addresses: generated once into the state folder and kept, so
 * links in mail written earlier still verify; a keyring written before hash keys existed gets one added. (In AWS the
 * keyring comes from a secret.) The dev server reads the same file, so its API accepts the links of the sample mail.
 */
export async function localKeyring(state: Storage): Promise<Keyring & { hashKey: Uint8Array }> {
  let text: string;
  try {
    text = new TextDecoder().decode(await state.read(KEYRING_KEY));
  } catch (error) {
    if (!(error instanceof StorageError && error.code === 'NotFound')) throw error;
    text = generateKeyringText();
    await state.write(KEYRING_KEY, new TextEncoder().encode(text), { contentType: 'application/json' });
  }
  const keyring = parseKeyring(text, state.displayName(KEYRING_KEY));
  if (keyring.hashKey) return { ...keyring, hashKey: keyring.hashKey };
  // parseKeyring accepted the text, so it is a JSON object; 32 random bytes, as generateKeyringText writes.
  const hashKey = randomBytes(32);
  text = `${JSON.stringify({ ...JSON.parse(text), hashKey: hashKey.toString('base64url') }, null, 2)}\n`;
  await state.write(KEYRING_KEY, new TextEncoder().encode(text), { contentType: 'application/json' });
  return { ...keyring, hashKey };
}

const SKIP_REASONS: Record<SkipReason, string> = {
  unpublished: 'not published (published is not true)',
  belowQuality: 'quality below minQuality',
  scheduled: 'dated in the future (publishedDateTime after now)',
  duplicate: 'a copy of the same story (originalUrl) as',
};

async function configFor(options: CliOptions): Promise<SiteConfig> {
  const fileConfig = await readConfig(options.config);
  return {
    ...(options.baseUrl === undefined ? fileConfig : servedFrom(fileConfig, options.baseUrl)),
    ...(options.minQuality === undefined ? {} : { minQuality: options.minQuality }),
  };
}

/**
 * The configuration a run with these arguments builds with (--config read, --base-url and --min-quality applied), for
 * a server that answers next to the built site. Throws what runCli would report as a usage or configuration error.
 */
export async function runConfig(argv: string[]): Promise<SiteConfig> {
  const options = parseOptions(argv, () => new Date());
  if (options === 'help') throw new UsageError('--help: there is no configuration to read');
  return configFor(options);
}

export interface CliIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  clock: () => Date;
  /** The environment S3 clients are configured from (credentials, AWS_REGION, AWS_ENDPOINT_URL_S3). */
  env: Record<string, string | undefined>;
  /** Where progress lines go on a long run; given only when a person watches (stderr is a terminal). */
  progress?: (line: string) => void;
}

/** Progress as plain lines: each step once, the count of articles read at most four times a second and at the end. */
function progressLines(write: (line: string) => void, clock: () => Date, source: Storage) {
  let lastCount = Number.NEGATIVE_INFINITY;
  return (event: BuildProgress) => {
    if (event.step !== 'reading') {
      write(event.step === 'listing' ? `listing ${source.displayName('')}…` : `${event.step}…`);
      return;
    }
    const now = clock().getTime();
    if (event.done < event.total && now - lastCount < 250) return;
    lastCount = now;
    write(`read ${event.done} of ${event.total}`);
  };
}

/** The deployed feed builder's lease (handlers/build-feeds.ts): an s3:// state takes the same one, never both at once. */
const DEPLOYED_LEASE = 'feed-builder';

/**
 * The lease that keeps two feed builds on one state (and so one manifest) from overlapping: a file next to a local
 * state, the deployed builder's DynamoDB lease (LOCK_TABLE) for a state in S3.
 */
async function openLease(state: Location, env: CliIo['env']): Promise<Lease> {
  if (state.kind === 'fs') return new FileLease(state.path, 'feeds');
  const table = env[ENV.lockTable];
  if (!table) {
    throw new ConfigError(
      `--state s3://${state.bucket}/${state.prefix}: set ${ENV.lockTable} to the lock table (DynamoDB) of the deployed ` +
        `feed builder. Without its lease this build could run at the same time as the deployed one, and the two ` +
        `would overwrite each other's manifest and feeds. (Or keep the state in a local folder.)`,
    );
  }
  const endpoint = env.AWS_ENDPOINT_URL_DYNAMODB || env.AWS_ENDPOINT_URL;
  // Loaded only here: a local build never pays for the DynamoDB client.
  const [{ DynamoDBClient }, { DynamoDBDocumentClient }, { DynamoLease }] = await Promise.all([
    import('@aws-sdk/client-dynamodb'),
    import('@aws-sdk/lib-dynamodb'),
    import('./storage/dynamo-lease.ts'),
  ]);
  const client = new DynamoDBClient({ maxAttempts: 5, ...(endpoint ? { endpoint } : {}) });
  return new DynamoLease(DynamoDBDocumentClient.from(client), table, DEPLOYED_LEASE);
}

const LEFT_TO_HOLDER = 'another build holds the lock; it will build once more';

/** Runs the CLI and returns its exit status; all output goes through `io`, so tests can call it directly. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    const options = parseOptions(argv, io.clock);
    if (options === 'help') {
      io.stdout(USAGE);
      return 0;
    }
    const config = await configFor(options);
    const s3 = lazyS3Client(io.env);
    const source = await openStorage(options.content, s3, 'source');
    const destination = await openStorage(options.out, s3, 'destination');
    // One state location: the feeds' manifest at its root, the digest's state under digest/, the local signing key.
    const state = await openStorage(options.state, s3, 'destination');
    let status = 0;
    // With --json, one document: the feeds' report with the digest's under `digest`.
    let jsonReport: Record<string, unknown> | undefined;
    // Feed builds write the manifest: one at a time per state. Without feeds, no lease (and no LOCK_TABLE) is needed.
    const lease = options.feeds ? await openLease(options.state, io.env) : undefined;
    const owner = randomUUID();
    const buildSite = (
      held: Lease,
      first: { full: boolean; progress?: (event: BuildProgress) => void; loaded?: LoadedArticles } = { full: false },
    ) =>
      buildFeedsUnderLease({
        lease: held,
        owner,
        clock: io.clock,
        source,
        destination,
        state,
        ...first,
        ...(config.digest ? { digestState: state } : {}),
        config,
        now: options.now,
        // A local file is read again faster than thousands of parsed articles are kept (fewer garbage collections).
        ...(options.content.kind === 'fs' ? { freshLimit: 0 } : {}),
        allowShrink: options.allowShrink,
        // A preview (--base-url) has feed URLs no hub could fetch.
        ping: options.ping && options.baseUrl === undefined ? {} : false,
      });
    // The articles the feeds' build loaded: the digest and the front page's second build use them, not the source again.
    let loaded: LoadedArticles | undefined;
    if (lease) {
      const built = await buildSite(lease, {
        full: options.full,
        ...(io.progress && !options.json ? { progress: progressLines(io.progress, io.clock, source) } : {}),
      });
      // The holder builds once more for us, and then prepares the digest with the same state: nothing is left here.
      if (!built.ran) {
        io.stdout(options.json ? JSON.stringify({ ran: false, because: LEFT_TO_HOLDER }, null, 2) : LEFT_TO_HOLDER);
        return 0;
      }
      const { loaded: fromBuild, ...report } = built.report;
      loaded = fromBuild;
      if (built.unfinished) {
        io.stderr('warning other builds kept asking for one more round; run again to be sure to include their changes');
      }
      if (options.json) jsonReport = { ...report };
      else printReport(report, options.verbose, io);
      if (report.refused) {
        if (jsonReport) io.stdout(JSON.stringify(jsonReport, null, 2));
        io.stderr(
          `refused: ${report.refused.reason}; nothing was written or deleted. If that is intended, run again with --allow-shrink.`,
        );
        return 3;
      }
    }
    if (options.digest) {
      const digest = config.digest;
      if (!digest) {
        if (!options.feeds) {
          io.stderr(
            `${options.config} has no "digest" section: there is no digest to prepare (see README, "The weekly digest")`,
          );
          status = 1;
        }
      } else {
        const mail = options.mail
          ? await openStorage({ kind: 'fs', path: options.mail }, s3, 'destination')
          : undefined;
        const report = await prepareDigest({
          source,
          destination,
          state,
          // The feeds' articles, or their manifest to spare reading unchanged ones; --full --digest-only reads them all.
          ...(loaded ? { loaded } : options.full && !options.feeds ? {} : { manifest: state }),
          config: { ...config, digest },
          now: options.now,
          ...(mail
            ? {
                sample: {
                  storage: mail,
                  signer: createTokenSigner(await localKeyring(state)),
                  recipient: digest.sampleRecipient,
                  ...(options.sampleTopics ? { topics: options.sampleTopics } : {}),
                },
              }
            : {}),
        });
        // A new issue, or this week's rewritten with other articles (its web copy changed), goes on the front page now
        // rather than at the next run: the feeds are built once more, from the manifest, which writes only the front
        // page. Otherwise an incremental build's front page would differ from a full build's.
        const issueChanged =
          report.outcome === 'prepared' ||
          report.outcome === 'resumed' ||
          (report.outcome === 'rewritten' && report.written.length > 0);
        if (lease && issueChanged) await buildSite(lease, { full: false, ...(loaded ? { loaded } : {}) });
        if (options.json) jsonReport = { ...jsonReport, digest: report };
        else printDigest(report, mail, io);
      }
    }
    if (jsonReport) io.stdout(JSON.stringify(jsonReport, null, 2));
    return status;
  } catch (error) {
    const failure = knownFailure(error, USAGE);
    if (failure) {
      io.stderr(failure.text);
      return failure.status;
    }
    throw error;
  }
}

/**
 * Run as a program (`tsx functions/cli.ts`, `node build/newsfeeds.js`, the `newsfeeds` bin), not imported. The bin is
 * a symbolic link in node_modules/.bin, and Node reports the module by its real path.
 */
function isMainModule(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isMainModule()) {
  allocateYoungFirst();
  keepHeapSmall();
  const status = await runCli(process.argv.slice(2), {
    stdout: (line) => console.log(line),
    stderr: (line) => console.error(line),
    clock: () => new Date(),
    env: process.env,
    ...(process.stderr.isTTY ? { progress: (line: string) => console.error(line) } : {}),
  });
  process.exitCode = status;
}
