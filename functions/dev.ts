// `npm run dev`: the site and the subscriber API on one local port, with DynamoDB (dynalite) and SES
// (aws-ses-v2-local) stood in for in this process, so the whole sign-up lifecycle runs on this machine, and a
// page (/dev/send) that sends the current issue to the local subscribers the way the deployed senders do.
// The stand-ins come from tests/stand-ins/: this is a development tool, like the tests, and never deployed.
import { readFile, rm } from 'node:fs/promises';
import type { RequestListener } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { SESClient } from '@aws-sdk/client-ses';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { getRequestListener, type HttpBindings } from '@hono/node-server';
import * as z from 'zod';
import { startDynalite } from '../tests/stand-ins/dynalite.ts';
import { startSes } from '../tests/stand-ins/ses.ts';
import { type CliIo, localKeyring, runCli, runConfig } from './cli.ts';
import type { TopicChoice } from './core/signup-form.ts';
import { TOPICS_KEY } from './core/site.ts';
import { answerHtml, DEV_SEND_PATH, devSendListener } from './dev-send.ts';
import { folderListener, listen } from './preview-server.ts';
import { DynamoSendLedger, ledgerTableDefinition } from './sending/dynamo-ledger.ts';
import { RateLimiter } from './sending/rate.ts';
import { FsStorage } from './storage/fs.ts';
import { createApi } from './subscribers/api.ts';
import { confirmationSender } from './subscribers/confirmation-sender.ts';
import { DynamoSubscriberStore, tableDefinition } from './subscribers/dynamo-store.ts';
import { page } from './subscribers/pages.ts';
import { createTokenSigner } from './subscribers/tokens.ts';

const USAGE = `Usage: [PORT=3000] npm run dev -- [options]

Builds the site for http://localhost:PORT/ into .dev/site and serves it there until Ctrl-C, with the
subscriber API at /api/. DynamoDB and SES are stood in for in this process (dynalite, aws-ses-v2-local),
in memory: subscribers and sent mail are gone when it stops. So the digest state and the signing keys
in .dev/state start afresh at every start too.

Options are those of npm start (npm start -- --help), e.g. --now, --content, --config,
except --base-url, --state and --out, which the dev server sets.`;

export const DEV_OUT = '.dev/site';
export const DEV_STATE = '.dev/state';
const DEFAULT_PORT = 3000;
const TABLE = 'subscribers';
const LEDGER_TABLE = 'send-ledger';
/** Any value does: the stand-ins check neither. */
const STAND_IN_CLIENT = { region: 'us-east-1', credentials: { accessKeyId: 'dev', secretAccessKey: 'dev' } };

export interface DevOptions {
  /** 0: any free port. */
  port: number;
  /** The built site (default .dev/site). */
  out?: string;
  /** The digest state and signing keys, emptied at start (default .dev/state). */
  state?: string;
  /** More options for the build (npm start's), e.g. ['--now', '2026-11-24T12:00:00Z']. */
  argv?: string[];
  /** Where the build's report and the API's log lines go (default: the console). */
  io?: Pick<CliIo, 'stdout' | 'stderr'>;
}

export interface DevServer {
  /** The site, e.g. http://localhost:3000/ */
  url: string;
  /** The subscriber API, e.g. http://localhost:3000/api/; undefined when the configuration has no digest. */
  apiUrl: string | undefined;
  /** The SES stand-in's viewer of the mail sent (`store` under it lists it as JSON). */
  mailUrl: string;
  /** The page that sends the current issue to the local subscribers; undefined when the configuration has no digest. */
  sendUrl: string | undefined;
  close(): Promise<void>;
}

/** A start that cannot go on; `status` is the exit status the entry point ends with. */
export class DevError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'DevError';
  }
}

const consoleIo = { stdout: (line: string) => console.log(line), stderr: (line: string) => console.error(line) };

/** Refuses the build options the dev server owns. */
function checkArgs(argv: string[]): void {
  // Not strict: every other option is the CLI's to check.
  const { values } = parseArgs({
    args: argv,
    options: { out: { type: 'string' }, 'base-url': { type: 'string' }, state: { type: 'string' } },
    strict: false,
    allowPositionals: true,
  });
  const owned = (['base-url', 'state', 'out'] as const).filter((name) => values[name] !== undefined);
  if (owned.length > 0) {
    throw new DevError(`${owned.map((name) => `--${name}`).join(', ')}: the dev server sets it\n\n${USAGE}`, 2);
  }
}

const Topics = z.array(z.object({ slug: z.string(), label: z.string() }));

/** The topics the build wrote (topics.json), for the choice on the API's forms; none when it wrote no feeds. */
async function builtTopics(out: string): Promise<TopicChoice[]> {
  let text: string;
  try {
    text = await readFile(join(out, TOPICS_KEY), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return Topics.parse(JSON.parse(text)).map(({ slug, label }) => ({ slug, label }));
}

/** Creates a table and waits until it and its indexes are ACTIVE (dynalite says CREATING at first). */
async function createTable(client: DynamoDBDocumentClient, definition: CreateTableCommandInput): Promise<void> {
  const name = definition.TableName!;
  await client.send(new CreateTableCommand(definition));
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    const indexes = Table?.GlobalSecondaryIndexes ?? [];
    if (Table?.TableStatus === 'ACTIVE' && indexes.every((index) => index.IndexStatus === 'ACTIVE')) return;
    await sleep(5);
  }
  throw new Error(`the dev table ${name} did not become ACTIVE`);
}

const stillBuilding: RequestListener = (_req, res) => {
  res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '2', 'Cache-Control': 'no-store' });
  res.end('The site is still being built: reload in a moment.\n');
};

/**
 * Listens on 127.0.0.1:port first (the build bakes the port into every link), builds the site for it, starts the
 * stand-ins and the API, and serves both. Rejects with a DevError when the build fails, with the listen error when
 * the port cannot be had; whatever had started is stopped then.
 */
export async function startDev(options: DevOptions): Promise<DevServer> {
  const argv = options.argv ?? [];
  checkArgs(argv);
  const io = options.io ?? consoleIo;
  const out = options.out ?? DEV_OUT;
  const state = options.state ?? DEV_STATE;
  let answer = stillBuilding;
  const server = await listen((req, res) => answer(req, res), options.port);
  // Stopped in reverse order of start, after the server has stopped taking requests.
  const stops: Array<() => Promise<void>> = [server.close];
  const close = async () => {
    const [stopServer, ...rest] = stops.splice(0);
    await stopServer?.();
    for (const stop of rest.reverse()) await stop();
  };
  try {
    // Subscribers and mail live in memory, so a state (issue numbers, keys) kept from another run would refer to
    // nothing: every start begins afresh.
    await rm(state, { recursive: true, force: true });
    const args = ['--out', out, ...argv, '--base-url', server.url, '--state', state, '--no-ping'];
    const status = await runCli(args, { ...io, clock: () => new Date(), env: process.env });
    if (status !== 0) throw new DevError(`the site build failed (exit status ${status}), so nothing is served`, status);
    const config = await runConfig(args);
    const ses = await startSes();
    stops.push(ses.stop);
    const site = folderListener(out);
    const digest = config.digest;
    if (!digest) {
      io.stderr('The configuration has no "digest" section: serving the site without a subscriber API.');
      answer = site;
      return { url: server.url, apiUrl: undefined, mailUrl: `${ses.endpoint}/`, sendUrl: undefined, close };
    }
    const dynamo = await startDynalite();
    stops.push(dynamo.stop);
    const documents = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: dynamo.endpoint, ...STAND_IN_CLIENT }),
    );
    const mailer = new SESClient({ endpoint: ses.endpoint, ...STAND_IN_CLIENT });
    // The digest's sender retries at its limiter's pace (deliver); the SDK must not retry on its own.
    const digestMailer = new SESClient({ endpoint: ses.endpoint, ...STAND_IN_CLIENT, maxAttempts: 1 });
    stops.push(async () => {
      documents.destroy();
      mailer.destroy();
      digestMailer.destroy();
    });
    await Promise.all([
      createTable(documents, tableDefinition(TABLE)),
      createTable(documents, ledgerTableDefinition(LEDGER_TABLE)),
    ]);
    const stateStorage = new FsStorage(state, { createIfMissing: true });
    const keyring = await localKeyring(stateStorage);
    const topics = await builtTopics(out);
    const withDigest = { ...config, digest };
    const store = new DynamoSubscriberStore(documents, TABLE);
    const signer = createTokenSigner(keyring);
    const app = createApi({
      config: withDigest,
      store,
      signer,
      hashKey: keyring.hashKey,
      sendConfirmation: confirmationSender(mailer, withDigest),
      topics: async () => topics,
      clock: () => new Date(),
      client: (c) => {
        const ip = (c.env as HttpBindings).incoming.socket.remoteAddress;
        const userAgent = c.req.header('user-agent');
        return { ...(ip ? { ip } : {}), ...(userAgent ? { userAgent } : {}) };
      },
      log: (level, message, fields) =>
        (level === 'info' ? io.stdout : io.stderr)(
          `api ${level}: ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}`,
        ),
    });
    // Leaves the process's Request and Response alone: the dev server may share it (with the tests).
    const api = getRequestListener(app.fetch, { overrideGlobalObjects: false });
    const apiPath = new URL(digest.apiUrl).pathname;
    const mailUrl = `${ses.endpoint}/`;
    const devSend = devSendListener({
      config: withDigest,
      state: stateStorage,
      sender: {
        config: withDigest,
        store,
        ledger: new DynamoSendLedger(documents, LEDGER_TABLE),
        ses: digestMailer,
        limiter: new RateLimiter(50),
        signer,
        hashKey: keyring.hashKey,
        clock: () => new Date(),
      },
      mailUrl,
      log: io.stdout,
    });
    answer = (req, res) => {
      const path = (req.url ?? '/').split(/[?#]/, 1)[0]!;
      if (path === DEV_SEND_PATH) {
        devSend(req, res).catch((error: unknown) => {
          io.stderr(`dev send failed: ${error instanceof Error ? error.message : String(error)}`);
          if (res.headersSent) res.destroy();
          else
            answerHtml(res, 500, page(withDigest, 'Not sent', '<p>The send failed: see the dev server’s output.</p>'));
        });
      } else if (path === apiPath.slice(0, -1) || path.startsWith(apiPath)) {
        api(req, res).catch(() => res.destroy());
      } else {
        site(req, res);
      }
    };
    return {
      url: server.url,
      apiUrl: new URL(apiPath, server.url).href,
      mailUrl,
      sendUrl: new URL(DEV_SEND_PATH, server.url).href,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

function portSetting(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_PORT;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) {
    throw new DevError(`PORT: expected a port number such as 3000 (0: any free port), got ${JSON.stringify(value)}`, 2);
  }
  return port;
}

function listenProblem(error: unknown, port: number): string | undefined {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return `port ${port} is in use: set PORT=… to another port, e.g. PORT=3001`;
  if (code === 'EACCES') return `port ${port} needs privileges: set PORT=… to a port above 1023`;
  return undefined;
}

async function main(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  let dev: DevServer;
  let port = DEFAULT_PORT;
  try {
    port = portSetting(process.env.PORT);
    dev = await startDev({ port, argv: args });
  } catch (error) {
    if (error instanceof DevError) {
      console.error(error.message);
      return error.status;
    }
    const problem = listenProblem(error, port);
    if (!problem) throw error;
    console.error(problem);
    return 1;
  }
  console.log(`
The site and its subscriber API (Ctrl-C to stop):
  front page                  ${dev.url}
  subscriber API              ${dev.apiUrl ?? '(none: the configuration has no digest)'}
  mail sent (SES stand-in)    ${dev.mailUrl}
  send the current issue      ${dev.sendUrl ?? '(none: the configuration has no digest)'}

To go through a subscription:
  1. Sign up with the form on the front page, with any address: no mail leaves this machine.
  2. Open the mail viewer, then the confirmation message, and follow its link: "You are subscribed".
  3. There, "Choose your topics" changes the topics; "Unsubscribe" asks once, then unsubscribes.
  4. "Send the current issue" sends this week's digest to every confirmed subscriber: it arrives in the
     mail viewer, and a second press sends only to those who have not had it.
Subscribers and mail are kept in memory until Ctrl-C.`);
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await dev.close();
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // exit, not exitCode: nothing else should keep a stopped dev server alive.
  process.exit(await main(process.argv.slice(2)));
}
