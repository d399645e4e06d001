// The feed-builder Lambda: triggered by SQS (S3 object events and the schedule's ticks, batched), it rebuilds the
// feeds incrementally. A lease in DynamoDB makes one run at a time the manifest's writer: a run that finds it taken
// leaves a mark and succeeds, and the running one builds once more (pipeline/lease.ts).
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { ENV } from '../env.ts';
import { allocateYoungFirst } from '../heap.ts';
import { buildFeedsUnderLease } from '../pipeline/locked-build.ts';
import { DynamoLease } from '../storage/dynamo-lease.ts';
import { s3ClientConfig } from '../storage/location.ts';
import { S3Storage } from '../storage/s3.ts';
import { countRequests } from '../storage/s3-requests.ts';
import { log, prefixSetting, readSettings, siteConfigSetting } from './runtime.ts';

allocateYoungFirst();

const Settings = z.object({
  [ENV.contentBucket]: z.string().min(3, 'the bucket the articles are read from'),
  [ENV.contentPrefix]: prefixSetting,
  [ENV.siteBucket]: z.string().min(3, 'the public bucket the feeds are written to'),
  [ENV.sitePrefix]: prefixSetting,
  [ENV.stateBucket]: z.string().min(3, 'the private bucket for the build manifest'),
  [ENV.lockTable]: z.string().min(3, 'the DynamoDB table of the lease that keeps builds from overlapping'),
  [ENV.siteConfig]: siteConfigSetting(),
  [ENV.cacheControl]: z.string().default('public, max-age=300'),
});

/**
 * SQS batch, EventBridge schedule or a manual `{}`: every trigger means "rebuild now"; the content is not in it. Only a
 * manual invocation can lift the shrink guard: `{"allowShrink": true}`.
 */
const Trigger = z.union([
  z.object({ Records: z.array(z.object({ messageId: z.string() })) }),
  z.object({ time: z.iso.datetime() }),
  z.strictObject({ allowShrink: z.boolean().optional() }),
]);

/** What the handler uses of the Lambda context: absent when a test or a person calls it. */
export interface InvocationContext {
  awsRequestId?: string;
  getRemainingTimeInMillis?: () => number;
}

/** A crashed run's lease is taken over this long after its function's timeout at the latest. */
const LEASE_MARGIN_MS = 60_000;
/** Without a Lambda context: the longest a Lambda function can run. */
const LONGEST_RUN_MS = 15 * 60_000;

/** Builds the handler from an environment: settings are checked once, clients are created once per container. */
export function createBuildHandler(env: Record<string, string | undefined>) {
  const settings = readSettings(Settings, env);
  const client = new S3Client(s3ClientConfig(env));
  const requests = countRequests(client);
  const dynamoEndpoint = env.AWS_ENDPOINT_URL_DYNAMODB || env.AWS_ENDPOINT_URL;
  const documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({ maxAttempts: 5, ...(dynamoEndpoint ? { endpoint: dynamoEndpoint } : {}) }),
  );
  const lease = new DynamoLease(documents, settings[ENV.lockTable], 'feed-builder');

  return async (event: unknown, context: InvocationContext = {}) => {
    const trigger = Trigger.parse(event);
    const now = 'time' in trigger ? new Date(trigger.time) : new Date();
    const started = Date.now();
    for (const key of Object.keys(requests)) delete requests[key];

    const built = await buildFeedsUnderLease({
      lease,
      owner: context.awsRequestId ?? randomUUID(),
      // At the start the remaining time is the function's timeout: the lease outlives any run that is still alive.
      ttlMs: (context.getRemainingTimeInMillis?.() ?? LONGEST_RUN_MS) + LEASE_MARGIN_MS,
      clock: () => new Date(),
      source: new S3Storage(client, { bucket: settings[ENV.contentBucket], prefix: settings[ENV.contentPrefix] }),
      destination: new S3Storage(client, { bucket: settings[ENV.siteBucket], prefix: settings[ENV.sitePrefix] }),
      state: new S3Storage(client, { bucket: settings[ENV.stateBucket], prefix: 'feed-builder/' }),
      config: settings[ENV.siteConfig],
      now,
      cacheControl: settings[ENV.cacheControl],
      allowShrink: 'allowShrink' in trigger && trigger.allowShrink === true,
    });
    if (!built.ran) {
      log('info', 'build already running; marked for another round');
      return { ran: false as const };
    }
    const { report, rounds } = built;
    if (built.unfinished) {
      log('warn', 'builds kept arriving; the rest is left to the next trigger', { rounds });
    }

    for (const { file, reason, problems } of report.rejected) {
      for (const problem of problems) log('warn', `article skipped (${reason})`, { file, ...problem });
    }
    for (const { file, problem } of report.warnings) log('warn', 'entry dropped', { file, ...problem });
    for (const ping of report.pings.filter((p) => !p.ok)) log('warn', 'WebSub hub not notified', { ...ping });
    if (report.refused) {
      // The invocation still succeeds: retrying would be refused again and only fill the dead-letter queue. An alarm
      // matches `code = "ShrinkRefused"`; a person then fixes the content or invokes with {"allowShrink": true}.
      log('error', 'build refused: it would shrink the site; nothing was written', { ...report.refused });
      return report.summary;
    }
    log('info', 'feeds built', {
      ...report.summary,
      triggeredBy: 'Records' in trigger ? `sqs:${trigger.Records.length}` : 'time' in trigger ? 'schedule' : 'manual',
      rounds,
      fetched: report.incremental.fetched,
      feedsRendered: report.incremental.feedsRendered,
      fullRebuildBecause: report.incremental.fullRebuildBecause,
      hubNotified: report.pings.filter((p) => p.ok).length,
      requests: { ...requests },
      durationMs: Date.now() - started,
    });
    return report.summary;
  };
}

let fromProcessEnv: ReturnType<typeof createBuildHandler> | undefined;
export const handler = (event: unknown, context?: InvocationContext) => {
  fromProcessEnv ??= createBuildHandler(process.env);
  return fromProcessEnv(event, context);
};
