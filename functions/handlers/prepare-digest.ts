// The digest-preparer Lambda: run by a weekly schedule at the issue's time (and by hand), it prepares the issue
// due at the event's time: its web copy, the archive and the digest's feeds in the site bucket, the state last;
// with a subscriber table and a send queue configured it then plans the sending (functions/sending/plan.ts). A
// CloudWatch alarm entering ALARM (the SES bounce or complaint rate near SES's review levels) pauses the latest
// issue's sending, as `npm run digest -- pause` would.

import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SESClient } from '@aws-sdk/client-ses';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { DigestSettings, SiteConfig } from '../core/config.ts';
import { ENV } from '../env.ts';
import { allocateYoungFirst } from '../heap.ts';
import { prepareDigest } from '../pipeline/digest.ts';
import { readDigestState } from '../pipeline/digest-state.ts';
import { underLease } from '../pipeline/lease.ts';
import { pauseSending } from '../sending/control.ts';
import { planSend } from '../sending/plan.ts';
import { daysToSend, sendQuota } from '../sending/send-quota.ts';
import { SqsSendQueue } from '../sending/sqs-queue.ts';
import { DynamoLease } from '../storage/dynamo-lease.ts';
import { s3ClientConfig } from '../storage/location.ts';
import { S3Storage } from '../storage/s3.ts';
import { countRequests } from '../storage/s3-requests.ts';
import { DynamoSubscriberStore } from '../subscribers/dynamo-store.ts';
import { log, prefixSetting, readSettings, siteConfigSetting } from './runtime.ts';

allocateYoungFirst();

const Settings = z.object({
  [ENV.contentBucket]: z.string().min(3, 'the bucket the articles are read from'),
  [ENV.contentPrefix]: prefixSetting,
  [ENV.siteBucket]: z.string().min(3, 'the public bucket the digest archive is written to'),
  [ENV.sitePrefix]: prefixSetting,
  [ENV.digestStateBucket]: z.string().min(3, "the retained private bucket for the digest's state"),
  [ENV.stateBucket]: z.string().min(3, "the feed builder's state bucket (its manifest is read)").optional(),
  [ENV.siteConfig]: siteConfigSetting((config) =>
    config.digest
      ? (config as SiteConfig & { digest: DigestSettings })
      : 'the site configuration has no "digest" section',
  ),
  [ENV.cacheControl]: z.string().default('public, max-age=300'),
  // With both, the function also plans the sending: every confirmed subscriber onto the send queue.
  [ENV.subscriberTable]: z.string().min(3).optional(),
  // With it, runs take the `digest-preparer` lease in this table: one at a time (a retry, a hand-run, a plan).
  [ENV.lockTable]: z.string().min(3, 'the DynamoDB table of leases').optional(),
  [ENV.sendQueueUrl]: z.string().url('the URL of the SQS send queue').optional(),
});

/** The schedule passes its scheduled time, so a late or retried run prepares the issue of the week it was meant for. */
const Trigger = z.union([
  // EventBridge's "CloudWatch Alarm State Change", for the SES reputation alarms (infra/alarms.ts). First: such an
  // event also has a `time`, which must not read as a schedule's.
  z.looseObject({
    'detail-type': z.literal('CloudWatch Alarm State Change'),
    detail: z.looseObject({ alarmName: z.string(), state: z.looseObject({ value: z.string() }) }),
  }),
  z.object({ time: z.iso.datetime({ offset: true }) }),
  // After `npm run digest -- approve`: plan (queue) an approved issue now.
  z.strictObject({ plan: z.string().regex(/^\d{4}-W\d{2}$/) }),
  z.strictObject({}),
]);

/** The parts of Lambda's context used here. */
interface InvocationContext {
  awsRequestId?: string;
  getRemainingTimeInMillis?: () => number;
}

/** A crashed run's lease is taken over this long after its function's timeout at the latest. */
const LEASE_MARGIN_MS = 60_000;
/** Without a Lambda context: the longest a Lambda function can run. */
const LONGEST_RUN_MS = 15 * 60_000;

export function createDigestHandler(env: Record<string, string | undefined>) {
  const settings = readSettings(Settings, env);
  const client = new S3Client(s3ClientConfig(env));
  const requests = countRequests(client);
  const manifestBucket = settings[ENV.stateBucket];

  const config = settings[ENV.siteConfig];
  const state = new S3Storage(client, { bucket: settings[ENV.digestStateBucket], prefix: '' });
  const subscriberTable = settings[ENV.subscriberTable];
  const queueUrl = settings[ENV.sendQueueUrl];
  const dynamoEndpoint = env.AWS_ENDPOINT_URL_DYNAMODB || env.AWS_ENDPOINT_URL;
  const documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({ maxAttempts: 5, ...(dynamoEndpoint ? { endpoint: dynamoEndpoint } : {}) }),
  );
  const lockTable = settings[ENV.lockTable];
  const lease = lockTable ? new DynamoLease(documents, lockTable, 'digest-preparer') : undefined;
  const planner =
    subscriberTable && queueUrl
      ? {
          store: new DynamoSubscriberStore(documents, subscriberTable),
          queue: new SqsSendQueue(new SQSClient({}), queueUrl),
          ses: new SESClient({}),
        }
      : undefined;

  /** Queues every confirmed subscriber for the issue (resuming a planner that stopped), and says how long it takes. */
  async function plan(issueId: string, now: Date) {
    if (!planner) return undefined;
    const result = await planSend({
      issueId,
      store: planner.store,
      queue: planner.queue,
      state,
      now,
      requireApproval: config.digest.requireApproval,
    });
    const quota = await sendQuota(planner.ses).catch(() => undefined);
    const days = quota ? daysToSend(result.planned, quota) : undefined;
    log(result.outcome === 'planned' ? 'info' : 'warn', `digest sending ${result.outcome}`, {
      issue: issueId,
      ...result,
      ...(quota ? { quota, days } : {}),
    });
    return result;
  }

  /** The latest issue's sending paused, because `alarm` says the list's bounces or complaints are too many. */
  async function pauseForAlarm(alarm: string, value: string) {
    if (value !== 'ALARM') return { outcome: 'ignored' as const };
    const issue = (await readDigestState(state)).last?.id;
    const now = issue ? await pauseSending(state, issue) : undefined;
    log('warn', 'digest sending paused by an alarm', { code: 'SendingPaused', alarm, issue, state: now });
    // A cancelled issue stays cancelled, and before the first issue there is nothing to pause.
    return { outcome: now === 'paused' ? ('paused' as const) : ('unchanged' as const), ...(issue ? { issue } : {}) };
  }

  /**
   * Runs `work` as the only preparer run: under the lease when there is a lock table. A run that finds it taken marks
   * it, and the holder prepares (and plans) once more, which covers a second schedule or a hand-run.
   */
  async function alone<T>(
    context: InvocationContext,
    work: () => Promise<T>,
  ): Promise<{ ran: true; result: T } | { ran: false }> {
    if (!lease) return { ran: true, result: await work() };
    const ttlMs = (context.getRemainingTimeInMillis?.() ?? LONGEST_RUN_MS) + LEASE_MARGIN_MS;
    const outcome = await underLease(lease, context.awsRequestId ?? randomUUID(), () => new Date(), ttlMs, work, {
      maxRounds: 2,
    });
    return outcome.ran ? { ran: true, result: outcome.results.at(-1) as T } : { ran: false };
  }

  return async (event: unknown, context: InvocationContext = {}) => {
    const trigger = Trigger.parse(event);
    if ('detail' in trigger) return pauseForAlarm(trigger.detail.alarmName, trigger.detail.state.value);
    if ('plan' in trigger) {
      const planned = await alone(context, () => plan(trigger.plan, new Date()));
      if (planned.ran) return { outcome: 'planning', plan: planned.result };
      // The holder's next round plans the issue due now, not necessarily this one: fail, so the caller retries.
      throw new Error(`another preparer run is under way; plan ${trigger.plan} again in a few minutes`);
    }
    const prepared = await alone(context, () => prepare(trigger));
    if (prepared.ran) return prepared.result;
    log('info', 'digest preparer already running; marked for another round');
    return { outcome: 'running-elsewhere' as const };
  };

  async function prepare(trigger: { time?: string }) {
    const now = trigger.time ? new Date(trigger.time) : new Date();
    const started = Date.now();
    for (const key of Object.keys(requests)) delete requests[key];
    const report = await prepareDigest({
      source: new S3Storage(client, { bucket: settings[ENV.contentBucket], prefix: settings[ENV.contentPrefix] }),
      destination: new S3Storage(client, { bucket: settings[ENV.siteBucket], prefix: settings[ENV.sitePrefix] }),
      state,
      ...(manifestBucket
        ? { manifest: new S3Storage(client, { bucket: manifestBucket, prefix: 'feed-builder/' }) }
        : {}),
      config,
      now,
      cacheControl: settings[ENV.cacheControl],
    });
    log('info', 'digest prepared', {
      outcome: report.outcome,
      ...(report.issue ? { issue: report.issue } : {}),
      written: report.written.length,
      requests: { ...requests },
      durationMs: Date.now() - started,
    });
    const planned = report.issue ? await plan(report.issue.id, now) : undefined;
    return {
      outcome: report.outcome,
      ...(report.issue ? { issue: report.issue } : {}),
      ...(planned ? { plan: planned } : {}),
    };
  }
}

let fromProcessEnv: ReturnType<typeof createDigestHandler> | undefined;
export const handler = (event: unknown, context?: InvocationContext) => {
  fromProcessEnv ??= createDigestHandler(process.env);
  return fromProcessEnv(event, context);
};
