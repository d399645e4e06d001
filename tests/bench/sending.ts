// The sending part of `npm run bench`: the planner over N confirmed subscribers in dynalite (time and memory), then
// the senders against a fake SES held to a rate by ratedSesClient (messages/s, throttles surfaced, CPU per message).
// dynalite runs in a child process: in AWS DynamoDB is not in the Lambda either, so this process's CPU and memory are
// the planner's and the senders' own, not the stand-in's (which holds every subscriber and does every write's work).
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESClient } from '@aws-sdk/client-ses';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import { parseArticle } from '../../functions/core/article.ts';
import { capPerProvider, rankArticles } from '../../functions/core/digest/rank.ts';
import type { IssueCopy } from '../../functions/pipeline/digest-state.ts';
import { DynamoSendLedger, ledgerTableDefinition } from '../../functions/sending/dynamo-ledger.ts';
import type { Outcome, SendBatch } from '../../functions/sending/model.ts';
import { planSend } from '../../functions/sending/plan.ts';
import { MemorySendQueue } from '../../functions/sending/queue.ts';
import { RateLimiter } from '../../functions/sending/rate.ts';
import { type SenderDeps, sendBatch } from '../../functions/sending/send.ts';
import { MemoryStorage } from '../../functions/storage/memory.ts';
import { DynamoSubscriberStore, tableDefinition } from '../../functions/subscribers/dynamo-store.ts';
import { createTokenSigner, generateKeyringText, parseKeyring } from '../../functions/subscribers/tokens.ts';
import { digestConfig, ISSUE } from '../support/digest.ts';
import { generateArticles } from '../support/generate-articles.ts';
import { ratedSesClient } from '../support/rated-ses.ts';

const subscribers = Number(process.env.BENCH_SUBSCRIBERS ?? 100_000);
/** Recipients of each paced run; the planner's first ones. */
const recipients = Math.min(subscribers, Number(process.env.BENCH_SEND_RECIPIENTS ?? 2000));
/** What the fake SES takes to answer: about a SendRawEmail's round trip from a Lambda in the same region. */
const SES_LATENCY_MS = 20;
const MB = 1024 * 1024;

/** A forced full GC, so heap figures are what is held, not what is waiting to be collected. */
function fullGc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

interface DynaliteProcess {
  endpoint: string;
  stop(): Promise<void>;
}

/** tests/stand-ins/dynalite.ts, started in a child Node.js process; it prints its endpoint and serves until killed. */
async function startDynaliteProcess(): Promise<DynaliteProcess> {
  const standIn = new URL('../stand-ins/dynalite.ts', import.meta.url).href;
  const child: ChildProcessByStdio<null, Readable, null> = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      `const { startDynalite } = await import(${JSON.stringify(standIn)}); console.log((await startDynalite()).endpoint);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const endpoint = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`dynalite exited (code ${code}) before it listened`)));
    child.stdout.once('data', (chunk) => resolve(String(chunk).trim()));
  });
  return {
    endpoint,
    stop: () =>
      new Promise<void>((resolve) => {
        child.removeAllListeners('exit');
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}

async function createTable(documents: DynamoDBDocumentClient, input: ReturnType<typeof tableDefinition>) {
  await documents.send(new CreateTableCommand(input));
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const { Table } = await documents.send(new DescribeTableCommand({ TableName: input.TableName }));
    const indexes = Table?.GlobalSecondaryIndexes ?? [];
    if (Table?.TableStatus === 'ACTIVE' && indexes.every((index) => index.IndexStatus === 'ACTIVE')) return;
    await sleep(5);
  }
  throw new Error(`Table ${input.TableName} did not become ACTIVE`);
}

/**
 * N confirmed subscribers as the store writes them (its item layout, sendShard from its own shardOf), 25 to a
 * BatchWriteItem, 8 requests at a time. Half want every topic, half two of them: every one gets a message.
 */
async function loadSubscribers(documents: DynamoDBDocumentClient, table: string, store: DynamoSubscriberStore) {
  const at = '2026-11-01T09:00:00.000Z';
  const item = (i: number) => {
    const address = `reader-${String(i).padStart(7, '0')}@example.com`;
    return {
      pk: `sub#${address}`,
      address,
      status: 'confirmed',
      topics: i % 2 === 0 ? [] : ['ai', 'energy'],
      consent: { at, source: 'form' },
      createdAt: at,
      updatedAt: at,
      confirmedAt: at,
      softBounces: 0,
      version: 1,
      sendShard: String(store.shardOf(address)),
    };
  };
  const limit = pLimit(8);
  const writes: Promise<void>[] = [];
  for (let start = 0; start < subscribers; start += 25) {
    writes.push(
      limit(async () => {
        let requests = Array.from({ length: Math.min(25, subscribers - start) }, (_, j) => ({
          PutRequest: { Item: item(start + j) },
        }));
        for (let attempt = 0; requests.length > 0; attempt += 1) {
          if (attempt > 8) throw new Error('dynalite kept leaving writes of a batch unprocessed');
          const { UnprocessedItems } = await documents.send(
            new BatchWriteCommand({ RequestItems: { [table]: requests } }),
          );
          requests = (UnprocessedItems?.[table] as typeof requests | undefined) ?? [];
        }
      }),
    );
  }
  await Promise.all(writes);
}

/** The issue's articles as the digest bench makes them: 50 candidates from the generator, ranked. */
function issueCopy(): IssueCopy {
  const articles = generateArticles({ count: 2000, until: ISSUE.dueAt }).flatMap((file) => {
    const parsed = parseArticle({ key: file.key, file: file.key, source: file.text });
    return parsed.ok ? [parsed.article] : [];
  });
  return { issue: ISSUE, articles: capPerProvider(rankArticles(articles.slice(0, 50), ISSUE.dueAt, 14), 1000) };
}

/**
 * SES that takes every message after `latencyMs`, as fast as it is called: the rate is ratedSesClient's to enforce.
 * A real SESClient whose HTTP handler answers SendRawEmail itself, so each message still costs what it costs in a
 * Lambda: the SDK's query serialisation of the ~90 KiB raw message, SigV4 signing and parsing the XML answer.
 */
function fakeSes(latencyMs: number): { client: SESClient; taken: () => number } {
  let taken = 0;
  const requestHandler = {
    handle: async () => {
      await sleep(latencyMs);
      taken += 1;
      const xml = `<SendRawEmailResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><SendRawEmailResult><MessageId>bench-${taken}</MessageId></SendRawEmailResult><ResponseMetadata><RequestId>request-${taken}</RequestId></ResponseMetadata></SendRawEmailResponse>`;
      return { response: { statusCode: 200, headers: { 'content-type': 'text/xml' }, body: Buffer.from(xml) } };
    },
  };
  const client = new SESClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    maxAttempts: 1,
    requestHandler: requestHandler as never,
  });
  return { client, taken: () => taken };
}

interface SendRun {
  label: string;
  /** The limiter's rate. */
  limiterRate: number;
  /** The rate the client enforces; none: unlimited. */
  clientRate?: number;
  concurrency: number;
  batches: readonly SendBatch[];
}

interface SendFigures {
  sent: number;
  seconds: number;
  throttles: number;
  cpuMsPerMessage: number;
  other: string;
}

async function sendRun(
  run: SendRun,
  base: Omit<SenderDeps, 'ledger' | 'ses' | 'limiter'>,
  documents: DynamoDBDocumentClient,
) {
  const ledgerTable = `ledger-${randomUUID().slice(0, 8)}`;
  await createTable(documents, ledgerTableDefinition(ledgerTable));
  const fake = fakeSes(SES_LATENCY_MS);
  const rated = run.clientRate === undefined ? fake.client : ratedSesClient(fake.client, { perSecond: run.clientRate });
  let throttles = 0;
  const counting = {
    send: (command: unknown) =>
      rated.send(command as never).catch((error: unknown) => {
        if ((error as Error).name === 'Throttling') throttles += 1;
        throw error;
      }),
  } as unknown as SESClient;
  const deps: SenderDeps = {
    ...base,
    ledger: new DynamoSendLedger(documents, ledgerTable),
    ses: counting,
    limiter: new RateLimiter(run.limiterRate),
    concurrency: run.concurrency,
  };
  const queue = new MemorySendQueue();
  await queue.enqueue(run.batches);
  const outcomes: Partial<Record<Outcome, number>> = {};
  const cpu = process.cpuUsage();
  const started = performance.now();
  const errors = await queue.drain(async (batch) => {
    const result = await sendBatch(batch, deps);
    for (const [outcome, n] of Object.entries(result.outcomes)) {
      outcomes[outcome as Outcome] = (outcomes[outcome as Outcome] ?? 0) + n;
    }
  });
  const seconds = (performance.now() - started) / 1000;
  const { user, system } = process.cpuUsage(cpu);
  const sent = outcomes.sent ?? 0;
  if (sent !== fake.taken()) throw new Error(`Counted ${sent} sent, but SES took ${fake.taken()}`);
  const other = [
    ...Object.entries(outcomes)
      .filter(([outcome]) => outcome !== 'sent')
      .map(([outcome, n]) => `${n} ${outcome}`),
    ...(errors.length > 0 ? [`${errors.length} batch errors`] : []),
  ].join(', ');
  return { sent, seconds, throttles, cpuMsPerMessage: (user + system) / 1000 / sent, other } satisfies SendFigures;
}

export async function benchSending(): Promise<string[]> {
  const rows: string[] = [];
  const dynalite = await startDynaliteProcess();
  try {
    const documents = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: dynalite.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      }),
    );
    const table = `subscribers-${randomUUID().slice(0, 8)}`;
    await createTable(documents, tableDefinition(table));
    const store = new DynamoSubscriberStore(documents, table);
    let started = performance.now();
    await loadSubscribers(documents, table, store);
    rows.push(
      `| load ${subscribers.toLocaleString('en')} confirmed subscribers into dynalite (BatchWriteItem of 25, 8 at a time; not the planner's) | ${((performance.now() - started) / 1000).toFixed(1)} s |`,
    );

    const queue = new MemorySendQueue();
    const state = new MemoryStorage();
    fullGc();
    const heapBefore = process.memoryUsage().heapUsed;
    const rssBefore = process.resourceUsage().maxRSS;
    const cpu = process.cpuUsage();
    started = performance.now();
    const plan = await planSend({ issueId: ISSUE.id, store, queue, state, now: ISSUE.dueAt, pageSize: 1000 });
    const planSeconds = (performance.now() - started) / 1000;
    const planCpu = process.cpuUsage(cpu);
    const heapAfter = process.memoryUsage().heapUsed;
    fullGc();
    const heapHeld = process.memoryUsage().heapUsed;
    const rssAfter = process.resourceUsage().maxRSS;
    if (plan.outcome !== 'planned') throw new Error(`The planner answered ${plan.outcome}`);
    rows.push(
      `| planner: ${plan.planned.toLocaleString('en')} planned in ${plan.batchesNow} batches of 50 (16 shards, pages of 1,000, progress saved after each page) | ${planSeconds.toFixed(1)} s, ${((planCpu.user + planCpu.system) / 1e6).toFixed(1)} s CPU |`,
    );
    rows.push(
      `| planner: heap used before → after (no GC) → after a full GC (the queue's batches) | ${(heapBefore / MB).toFixed(0)} → ${(heapAfter / MB).toFixed(0)} → ${(heapHeld / MB).toFixed(0)} MB |`,
    );
    rows.push(
      `| planner: peak resident memory of this process before → after planning (dynalite in its own process) | ${(rssBefore / 1024).toFixed(0)} → ${(rssAfter / 1024).toFixed(0)} MB |`,
    );

    const keyring = parseKeyring(generateKeyringText(), 'bench keys');
    const copy = issueCopy();
    const base: Omit<SenderDeps, 'ledger' | 'ses' | 'limiter'> = {
      config: digestConfig(),
      store,
      signer: createTokenSigner(keyring),
      hashKey: keyring.hashKey!,
      issue: async () => copy,
      control: async () => 'active',
      clock: () => new Date(),
    };
    const batches = queue.waiting.slice(0, Math.ceil(recipients / 50)).map((message) => message.batch);
    const runs: SendRun[] = [
      // First, so V8 has optimised the sender's code before the paced runs are timed.
      {
        label: 'unpaced (limiter 10,000/s, no client limit, 16 in flight)',
        limiterRate: 10_000,
        concurrency: 16,
        batches,
      },
      {
        label: 'limiter 50/s, SES allows 50/s, 4 in flight (the default)',
        limiterRate: 50,
        clientRate: 50,
        concurrency: 4,
        batches,
      },
      {
        label: 'limiter 100/s, SES allows 100/s, 4 in flight',
        limiterRate: 100,
        clientRate: 100,
        concurrency: 4,
        batches,
      },
      // The same with twice the sends in flight: whether 4 (the default) is what holds it under the rate.
      {
        label: 'limiter 100/s, SES allows 100/s, 8 in flight',
        limiterRate: 100,
        clientRate: 100,
        concurrency: 8,
        batches,
      },
      {
        label: 'limiter 100/s, SES allows 50/s (misconfigured), 4 in flight',
        limiterRate: 100,
        clientRate: 50,
        concurrency: 4,
        batches: batches.slice(0, Math.ceil(batches.length / 4)),
      },
    ];
    for (const run of runs) {
      const figures = await sendRun(run, base, documents);
      const other = figures.other ? `; ${figures.other}` : '';
      rows.push(
        `| senders, ${run.label}: ${figures.sent} sent in ${figures.seconds.toFixed(1)} s${other} | ${(figures.sent / figures.seconds).toFixed(1)} messages/s, ${figures.throttles} throttle${figures.throttles === 1 ? '' : 's'}, ${figures.cpuMsPerMessage.toFixed(2)} ms CPU/message |`,
      );
    }
  } finally {
    await dynalite.stop();
  }
  return rows;
}
