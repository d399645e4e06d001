// Operator commands on the subscriber table: count, export, import, erase (`npm run subscribers -- --help`). What it
// prints names a subscriber by line number or keyed hash, never by address: a report gets pasted into tickets and logs.
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESClient } from '@aws-sdk/client-ses';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { knownFailure, UsageError } from './cli-failure.ts';
import { type DigestSettings, parseSiteConfigText } from './core/config.ts';
import { ConfigError } from './core/errors.ts';
import type { TopicChoice } from './core/signup-form.ts';
import { TOPICS_KEY } from './core/site.ts';
import { shown } from './core/text.ts';
import { ENV } from './env.ts';
import { lazyS3Client, openStorage, parseLocation } from './storage/location.ts';
import { addressHash, parseAddress } from './subscribers/address.ts';
import { confirmationSender } from './subscribers/confirmation-sender.ts';
import { DynamoSubscriberStore } from './subscribers/dynamo-store.ts';
import {
  decideConfirmed,
  type ImportDeps,
  type ImportReport,
  importSubscribers,
  type SkipReason,
} from './subscribers/import.ts';
import { isSuppressed } from './subscribers/lifecycle.ts';
import type { Subscriber, SubscriberStatus, SubscriberStore } from './subscribers/model.ts';
import { exportCsv, guardCell, unguardCell } from './subscribers/operator-csv.ts';
import { signedLink } from './subscribers/routes.ts';
import { createTokenSigner, parseKeyring } from './subscribers/tokens.ts';

export { decideConfirmed, exportCsv, guardCell, unguardCell };

const USAGE = `Usage: npm run subscribers -- <command> [options]

Commands:
  count                     subscribers by status, and the total (a full scan of the table)
  export [--status S] [--out FILE]
                            every subscriber (or those with status S) as CSV, ordered by address:
                            address,status,topics,created_at,confirmed_at,consent_source,consent_at
                            to stdout, or to FILE (created readable by its owner only)
  import FILE               sign up every address in the CSV FILE as the form does: pending, with a
                            confirmation mail (consent source import:<file name>). Suppressed
                            addresses and those mailed within the cooldown get nothing.
  import FILE --confirmed --source NAME
                            save every address as confirmed, without a mail, on a consent given
                            elsewhere: NAME says where, e.g. "newsletter form 2025" (consent source
                            import:NAME). Never over a bounced, complained, unsubscribed or erased one.
  erase ADDRESS             delete everything kept about ADDRESS; a tombstone keyed by its hash keeps
                            a bounce or complaint suppressed

The import file: a header line naming an "address" (or "email") column and, optionally, a
"topics" column of topic names or slugs separated by ";" (empty: every topic) and a "status"
column (an export's: rows that say unsubscribed, bounced or complained are skipped). Bad rows
are reported by line number and keyed hash, never by address, and skipped; they never stop
the others. Duplicates (the same address after normalizing) are imported once.

Options:
  --table NAME        the DynamoDB table (default: $${ENV.subscriberTable})
  --keys FILE         the signing keyring JSON with its "hashKey" (default: $${ENV.signingKeys}, the
                      JSON text itself); import and erase need it. Locally: .state/signing-keys.json
  --config FILE       the site configuration, for the confirmation mail (default: site.config.json)
  --site DIR          the built site, whose topics.json lists the topics an import may name: a
                      folder or s3://bucket/prefix (default: dist)
  --json              count and import: print the result as JSON
  --help              show this text

DynamoDB and SES are reached as the AWS SDK finds them: credentials and AWS_REGION from the
usual chain, AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_SES (or AWS_ENDPOINT_URL) for a
local stand-in, $${ENV.sesConfigurationSet} for the configuration set of confirmation mails.

Exit status: 0 done (an import may have skipped rows: see its report), 1 failed (a file,
setting or AWS call, named on stderr; an import also when a row failed or a mail was not sent),
2 usage error.`;

const STATUSES: readonly SubscriberStatus[] = ['pending', 'confirmed', 'unsubscribed', 'bounced', 'complained'];

const COMMANDS = {
  count: { positionals: [], options: ['json'] },
  export: { positionals: [], options: ['status', 'out'] },
  import: { positionals: ['FILE'], options: ['confirmed', 'source', 'json'] },
  erase: { positionals: ['ADDRESS'], options: [] },
} as const;
type Command = keyof typeof COMMANDS;
/** Where things are: accepted by every command, so one shell alias can carry them all. */
const SHARED_OPTIONS = ['table', 'keys', 'config', 'site', 'help'];

export interface SubscribersCliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  clock: () => Date;
  /** The environment: the table, keyring and configuration set settings, AWS endpoints. */
  env: Record<string, string | undefined>;
}

function parseCommandLine(argv: string[]) {
  const { values, positionals, tokens } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    tokens: true,
    options: {
      table: { type: 'string' },
      keys: { type: 'string' },
      config: { type: 'string', default: 'site.config.json' },
      site: { type: 'string', default: 'dist' },
      status: { type: 'string' },
      out: { type: 'string' },
      confirmed: { type: 'boolean', default: false },
      source: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return 'help' as const;
  const [name, ...args] = positionals;
  if (name === undefined) throw new UsageError('Name a command: count, export, import or erase');
  if (!Object.hasOwn(COMMANDS, name)) {
    throw new UsageError(`Unknown command ${shown(name)}: expected count, export, import or erase`);
  }
  const command = name as Command;
  const spec = COMMANDS[command];
  if (args.length !== spec.positionals.length) {
    const wanted = spec.positionals.length === 0 ? 'no arguments' : spec.positionals.join(' ');
    throw new UsageError(`${command} takes ${wanted}, got ${args.length === 0 ? 'none' : args.length}`);
  }
  // The options given (not those parseArgs filled in with defaults) must be the command's own.
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    if (!SHARED_OPTIONS.includes(token.name) && !(spec.options as readonly string[]).includes(token.name)) {
      throw new UsageError(`--${token.name} does not go with ${command}`);
    }
  }
  if (values.status !== undefined && !(STATUSES as readonly string[]).includes(values.status)) {
    throw new UsageError(`--status: expected one of ${STATUSES.join(', ')}, got ${shown(values.status)}`);
  }
  if (values.confirmed && values.source === undefined) {
    throw new UsageError(
      '--confirmed needs --source NAME: where these people gave their consent, e.g. --source "newsletter form 2025"',
    );
  }
  if (values.source !== undefined) {
    if (!values.confirmed) {
      throw new UsageError(
        '--source goes with --confirmed (without it, the consent is the confirmation each person is asked for)',
      );
    }
    if (values.source.trim() === '' || values.source.trim().length > 200) {
      throw new UsageError('--source: expected a name of 1 to 200 characters for where the consent was given');
    }
  }
  return { command, argument: args[0] ?? '', values: { ...values, source: values.source?.trim() } };
}

type Options = Exclude<ReturnType<typeof parseCommandLine>, 'help'>['values'];

// ---- Wiring: each setting is read only by the commands that need it, so `count` needs just the table.

function openStore(options: Options, env: SubscribersCliIo['env']): DynamoSubscriberStore {
  const table = options.table ?? env[ENV.subscriberTable];
  if (!table) {
    throw new UsageError(`Name the subscriber table: --table NAME, or set ${ENV.subscriberTable}`);
  }
  const endpoint = env.AWS_ENDPOINT_URL_DYNAMODB || env.AWS_ENDPOINT_URL;
  const client = new DynamoDBClient({ maxAttempts: 5, ...(endpoint ? { endpoint } : {}) });
  return new DynamoSubscriberStore(DynamoDBDocumentClient.from(client), table);
}

async function readKeyring(options: Options, env: SubscribersCliIo['env']) {
  let text: string;
  let origin: string;
  if (options.keys !== undefined) {
    origin = options.keys;
    try {
      text = await readFile(options.keys, 'utf8');
    } catch (error) {
      throw new ConfigError(`Cannot read the keyring ${options.keys}: ${(error as Error).message}`, { cause: error });
    }
  } else {
    const fromEnv = env[ENV.signingKeys];
    if (!fromEnv) throw new UsageError(`Give the signing keyring: --keys FILE, or set ${ENV.signingKeys}`);
    origin = ENV.signingKeys;
    text = fromEnv;
  }
  const keyring = parseKeyring(text, origin);
  if (!keyring.hashKey) {
    throw new ConfigError(
      `The keyring in ${origin} has no "hashKey": use the keyring the subscriber API runs with, whose hash key finds erased addresses`,
    );
  }
  return { ...keyring, hashKey: keyring.hashKey };
}

async function readDigestConfig(path: string) {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read the site configuration ${path}: ${(error as Error).message}`, { cause: error });
  }
  const config = parseSiteConfigText(text, path);
  if (!config.digest) {
    throw new ConfigError(`${path} has no "digest" section: without it there is no sender for confirmation mails`);
  }
  return { ...config, digest: config.digest as DigestSettings };
}

const TopicList = z.array(z.object({ slug: z.string(), label: z.string() }));

async function readTopics(site: string, env: SubscribersCliIo['env']): Promise<TopicChoice[]> {
  const where = `${site.replace(/\/$/, '')}/${TOPICS_KEY}`;
  try {
    const storage = await openStorage(parseLocation(site), lazyS3Client(env), 'source');
    return TopicList.parse(JSON.parse(new TextDecoder().decode(await storage.read(TOPICS_KEY))));
  } catch (error) {
    throw new ConfigError(
      `The import file names topics, but the site's topic list ${where} is not readable (${(error as Error).name}): build the site first (npm start), or point --site at it`,
      { cause: error },
    );
  }
}

// ---- count and export

async function* allSubscribers(store: SubscriberStore): AsyncGenerator<Subscriber> {
  let cursor: string | undefined;
  do {
    const page = await store.scanPage({ limit: 1000, ...(cursor === undefined ? {} : { cursor }) });
    yield* page.subscribers;
    cursor = page.cursor;
  } while (cursor !== undefined);
}

export async function countByStatus(store: SubscriberStore): Promise<Record<SubscriberStatus | 'total', number>> {
  const counts = { pending: 0, confirmed: 0, unsubscribed: 0, bounced: 0, complained: 0, total: 0 };
  for await (const subscriber of allSubscribers(store)) {
    counts[subscriber.status] += 1;
    counts.total += 1;
  }
  return counts;
}

const SKIPPED: Record<SkipReason, string> = {
  unreadable: 'skipped:',
  'no-address': 'skipped: no address',
  'invalid-address': 'skipped: not an email address',
  'unknown-topic': 'skipped: the site has no topic',
  'status-in-file': 'skipped: the file says it is',
  suppressed: 'skipped: bounced or complained before, so it is never mailed or imported again',
  erased: 'skipped: erased before at its own request; --confirmed does not bring it back',
  unsubscribed: 'skipped: unsubscribed; --confirmed does not override that (without it, a confirmation is asked for)',
  cooldown: 'skipped: a confirmation went out within the cooldown; none sent again',
};

function printImport(report: ImportReport, io: SubscribersCliIo): void {
  const lines = [
    ...report.skipped.map((s) => ({
      line: s.line,
      text: `${SKIPPED[s.reason]}${s.detail ? ` ${s.detail}` : ''}${s.subscriber ? ` (subscriber ${s.subscriber})` : ''}`,
    })),
    ...report.duplicates.map((d) => ({ line: d.line, text: `duplicate of line ${d.firstLine}, imported once` })),
    ...report.failed.map((f) => ({
      line: f.line,
      text: f.saved
        ? `saved, but its confirmation was not sent: ${f.error} (subscriber ${f.subscriber}); import the file again after the cooldown to send it`
        : `failed: ${f.error} (subscriber ${f.subscriber}); nothing changed for it`,
    })),
  ].sort((a, b) => a.line - b.line);
  for (const { line, text } of lines) io.stderr(`line ${line}: ${text}`);
  io.stdout(
    `rows ${report.rows}: imported ${report.imported}, confirmations sent ${report.confirmationsSent}, already confirmed ${report.alreadyConfirmed}, skipped ${report.skipped.length}, duplicates ${report.duplicates.length}, failed ${report.failed.length}`,
  );
}

// ---- the commands

async function runCommand(command: Command, argument: string, options: Options, io: SubscribersCliIo) {
  switch (command) {
    case 'count': {
      const counts = await countByStatus(openStore(options, io.env));
      if (options.json) io.stdout(JSON.stringify(counts, null, 2));
      else for (const [status, count] of Object.entries(counts)) io.stdout(`${status.padEnd(13)} ${count}`);
      return 0;
    }
    case 'export': {
      const store = openStore(options, io.env);
      const subscribers: Subscriber[] = [];
      for await (const subscriber of allSubscribers(store)) {
        if (options.status === undefined || subscriber.status === options.status) subscribers.push(subscriber);
      }
      const csv = exportCsv(subscribers);
      const what = `${subscribers.length} subscriber${subscribers.length === 1 ? '' : 's'}`;
      if (options.out === undefined) {
        io.stdout(csv.replace(/\n$/, ''));
        io.stderr(`exported ${what}`);
        return 0;
      }
      try {
        // Personal data: readable by its owner only (when the file is new; an existing file keeps its mode).
        await writeFile(options.out, csv, { mode: 0o600 });
      } catch (error) {
        throw new ConfigError(`Cannot write ${options.out}: ${(error as Error).message}`, { cause: error });
      }
      io.stdout(`exported ${what} to ${options.out}`);
      return 0;
    }
    case 'import': {
      let text: string;
      try {
        text = await readFile(argument, 'utf8');
      } catch (error) {
        throw new ConfigError(`Cannot read the import file ${argument}: ${(error as Error).message}`, { cause: error });
      }
      const store = openStore(options, io.env);
      const keyring = await readKeyring(options, io.env);
      let mail: ImportDeps['mail'];
      if (!options.confirmed) {
        const config = await readDigestConfig(options.config);
        const signer = createTokenSigner(keyring);
        const endpoint = io.env.AWS_ENDPOINT_URL_SES || io.env.AWS_ENDPOINT_URL;
        const ses = new SESClient({ maxAttempts: 5, ...(endpoint ? { endpoint } : {}) });
        const configurationSet = io.env[ENV.sesConfigurationSet];
        mail = {
          cooldownMs: config.digest.signup.cooldownMinutes * 60_000,
          confirmUrl: (address, at) => signedLink(config.digest.apiUrl, 'confirm', signer, address, at),
          send: confirmationSender(ses, config, { clock: io.clock, ...(configurationSet ? { configurationSet } : {}) }),
        };
      }
      // One cheap read first: a missing table or credentials stop the run here, not once per row.
      await store.scanPage({ limit: 1 });
      let topics: Promise<TopicChoice[]> | undefined;
      const report = await importSubscribers(
        text,
        argument,
        options.confirmed ? `import:${options.source}` : `import:${basename(argument)}`,
        {
          store,
          hashKey: keyring.hashKey,
          clock: io.clock,
          topics: () => {
            topics ??= readTopics(options.site, io.env);
            return topics;
          },
          ...(mail ? { mail } : {}),
        },
      );
      if (options.json) io.stdout(JSON.stringify(report, null, 2));
      else printImport(report, io);
      return report.failed.length > 0 ? 1 : 0;
    }
    case 'erase': {
      const address = parseAddress(argument);
      if (!address) throw new UsageError('erase: expected an email address such as name@example.com');
      const store = openStore(options, io.env);
      const hash = addressHash((await readKeyring(options, io.env)).hashKey, address);
      const before = await store.get(address);
      if ((await store.erase(address, hash)) === 'absent') {
        const tombstone = await store.tombstone(hash);
        io.stdout(
          `not found: no subscriber ${hash}${tombstone ? ` (erased before; its tombstone says ${tombstone})` : ''}`,
        );
        return 0;
      }
      const kept = await store.tombstone(hash);
      io.stdout(
        `erased subscriber ${hash} (was ${before?.status ?? 'unknown'}); ${
          isSuppressed(kept)
            ? `its tombstone keeps the address suppressed (${kept}): it is never mailed again`
            : 'its tombstone says unsubscribed: a new sign-up may subscribe it again'
        }`,
      );
      return 0;
    }
  }
}

/** Runs a command and returns the exit status; all output goes through `io`, so tests call it directly. */
export async function runSubscribersCli(argv: string[], io: SubscribersCliIo): Promise<number> {
  try {
    const parsed = parseCommandLine(argv);
    if (parsed === 'help') {
      io.stdout(USAGE);
      return 0;
    }
    return await runCommand(parsed.command, parsed.argument, parsed.values, io);
  } catch (error) {
    const failure = knownFailure(error, USAGE);
    if (failure) {
      io.stderr(failure.text);
      return failure.status;
    }
    // DynamoDB, SES or credentials: a failure to name, not a crash. Anything shaped like an address is left out.
    const { name, message } = error as Error;
    io.stderr(`failed: ${name}: ${String(message).replace(/[^\s@<>"'(),;:]+@[^\s@<>"'(),;:]+/g, '[address]')}`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await runSubscribersCli(process.argv.slice(2), {
    stdout: (text) => console.log(text),
    stderr: (text) => console.error(text),
    clock: () => new Date(),
    env: process.env,
  });
}
