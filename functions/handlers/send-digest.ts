// The sender Lambda: the send queue (SQS) hands it batches of recipients; each is sent with sendBatch. A batch that
// fails (SES kept failing, a bug) is reported back to SQS alone and comes again after the visibility timeout; one that
// keeps failing ends in the dead-letter queue, recipients intact. A batch that only has to wait (the day's quota is
// spent, the issue is paused) is queued again as a new, delayed message instead, so waiting never counts towards the
// dead-letter queue's receive limit nor the queue's retention.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SESClient } from '@aws-sdk/client-ses';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { DigestSettings, SiteConfig } from '../core/config.ts';
import { ENV } from '../env.ts';
import { type IssueCopy, readIssueCopy } from '../pipeline/digest-state.ts';
import { readControl } from '../sending/control.ts';
import { DynamoSendLedger } from '../sending/dynamo-ledger.ts';
import { RateLimiter, senderRate } from '../sending/rate.ts';
import { SendInterrupted, sendBatch } from '../sending/send.ts';
import { s3ClientConfig } from '../storage/location.ts';
import { S3Storage } from '../storage/s3.ts';
import { withoutAddresses } from '../subscribers/address.ts';
import { DynamoSubscriberStore } from '../subscribers/dynamo-store.ts';
import { createTokenSigner } from '../subscribers/tokens.ts';
import { keyringSetting, log, onceReady, readSettings, siteConfigSetting } from './runtime.ts';

const Settings = z.object({
  [ENV.subscriberTable]: z.string().min(3, 'the DynamoDB table of subscribers'),
  [ENV.ledgerTable]: z.string().min(3, 'the DynamoDB send ledger'),
  [ENV.digestStateBucket]: z.string().min(3, "the digest's state bucket (the issue's copy, the control file)"),
  [ENV.siteConfig]: siteConfigSetting((config) =>
    config.digest
      ? (config as SiteConfig & { digest: DigestSettings })
      : 'the site configuration has no "digest" section',
  ),
  [ENV.signingKeys]: keyringSetting,
  // The send queue itself, to queue a waiting batch again; without it (local runs) a waiting batch fails back.
  [ENV.sendQueueUrl]: z.url('the URL of the SQS send queue').optional(),
});

const SqsEvent = z.object({
  Records: z.array(z.object({ messageId: z.string(), body: z.string() })),
});
const Batch = z.object({ issueId: z.string().regex(/^\d{4}-W\d{2}$/), recipients: z.array(z.string()).max(100) });

/** How long a container trusts what it read of the control file (pause takes effect within this). */
const CONTROL_TTL_MS = 10_000;

/**
 * How long a waiting batch stays out of sight when queued again: SQS's longest message delay. While the quota is
 * spent, a container also skips SES for this long, so a wait costs a receive and a send per batch every 15 minutes.
 */
export const WAIT_DELAY_SECONDS = 900;

export function createSendHandler(env: Record<string, string | undefined>) {
  const settings = readSettings(Settings, env);
  const config = settings[ENV.siteConfig];
  const sending = config.digest.sending;
  const keyring = settings[ENV.signingKeys];
  const dynamoEndpoint = env.AWS_ENDPOINT_URL_DYNAMODB || env.AWS_ENDPOINT_URL;
  const sesEndpoint = env.AWS_ENDPOINT_URL_SES || env.AWS_ENDPOINT_URL;
  const documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({ maxAttempts: 5, ...(dynamoEndpoint ? { endpoint: dynamoEndpoint } : {}) }),
  );
  // One attempt per call: deliver() retries, under the rate limiter, and counts what SES saw.
  const ses = new SESClient({ maxAttempts: 1, ...(sesEndpoint ? { endpoint: sesEndpoint } : {}) });
  const queueUrl = settings[ENV.sendQueueUrl];
  const sqsEndpoint = env.AWS_ENDPOINT_URL_SQS || env.AWS_ENDPOINT_URL;
  const sqs = queueUrl
    ? new SQSClient({ maxAttempts: 5, ...(sqsEndpoint ? { endpoint: sqsEndpoint } : {}) })
    : undefined;
  /** Until when SES's daily quota is known to be spent (this container saw it refuse). */
  let quotaSpentUntil = 0;

  /** Queues a waiting batch again, delayed; false when it cannot (no queue, SQS refused): then it fails back. */
  async function waitAgain(body: string): Promise<boolean> {
    if (!sqs || !queueUrl) return false;
    try {
      await sqs.send(
        new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, DelaySeconds: WAIT_DELAY_SECONDS }),
      );
      return true;
    } catch (error) {
      log('warn', 'digest batch could not be queued again; it fails back to the queue', {
        error: (error as Error).name,
      });
      return false;
    }
  }
  const state = new S3Storage(new S3Client(s3ClientConfig(env)), {
    bucket: settings[ENV.digestStateBucket],
    prefix: '',
  });
  // The senders together stay under the account's rate: each of at most maxConcurrency takes its share.
  const limiter = new RateLimiter(senderRate(sending));
  const copies = new Map<string, IssueCopy>();
  const controls = new Map<string, { state: 'active' | 'paused' | 'cancelled'; at: number }>();
  const deps = {
    config,
    store: new DynamoSubscriberStore(documents, settings[ENV.subscriberTable]),
    ledger: new DynamoSendLedger(documents, settings[ENV.ledgerTable]),
    ses,
    limiter,
    signer: createTokenSigner(keyring),
    hashKey: keyring.hashKey,
    issue: async (issueId: string) => {
      const known = copies.get(issueId);
      if (known) return known;
      const copy = await readIssueCopy(state, issueId);
      if (!copy) throw new Error(`No prepared copy of issue ${issueId} in the state bucket`);
      copies.set(issueId, copy);
      return copy;
    },
    control: async (issueId: string) => {
      const known = controls.get(issueId);
      if (known && Date.now() - known.at < CONTROL_TTL_MS) return known.state;
      const { state: current } = await readControl(state, issueId);
      controls.set(issueId, { state: current, at: Date.now() });
      return current;
    },
    clock: () => new Date(),
    ...(sending.configurationSet ? { configurationSet: sending.configurationSet } : {}),
  };

  return async (event: unknown) => {
    const { Records } = SqsEvent.parse(event);
    const batchItemFailures: { itemIdentifier: string }[] = [];
    let stopped: SendInterrupted | undefined = Date.now() < quotaSpentUntil ? quotaSpent() : undefined;
    const waiting: { itemIdentifier: string; body: string }[] = [];
    for (const record of Records) {
      if (stopped) {
        waiting.push({ itemIdentifier: record.messageId, body: record.body });
        continue;
      }
      const started = Date.now();
      try {
        const batch = Batch.parse(JSON.parse(record.body));
        const result = await sendBatch(batch, deps);
        log('info', 'digest batch sent', {
          issue: result.issueId,
          ...result.outcomes,
          unknown: result.unknown,
          durationMs: Date.now() - started,
        });
      } catch (error) {
        if (error instanceof SendInterrupted && (error.reason === 'quota-exhausted' || error.reason === 'paused')) {
          // The rest of this event waits too (the quota is spent for all, a paused issue's batches arrive together).
          waiting.push({ itemIdentifier: record.messageId, body: record.body });
          stopped = error;
          if (error.reason === 'quota-exhausted') quotaSpentUntil = Date.now() + WAIT_DELAY_SECONDS * 1000;
          continue;
        }
        batchItemFailures.push({ itemIdentifier: record.messageId });
        if (error instanceof SendInterrupted) {
          log('warn', 'digest batch back to the queue', {
            reason: error.reason,
            message: withoutAddresses(error.message),
          });
        } else {
          log('error', 'digest batch failed', {
            error: (error as Error).name,
            message: withoutAddresses((error as Error).message).slice(0, 200),
          });
        }
      }
    }
    if (stopped?.reason === 'quota-exhausted') {
      // Alarm on this code (once per event while the quota is spent): the batches wait until SES allows more.
      log('error', 'digest sending stopped: daily message quota exceeded', { code: 'DailyQuotaExhausted' });
    }
    let queuedAgain = 0;
    for (const { itemIdentifier, body } of waiting) {
      if (await waitAgain(body)) queuedAgain += 1;
      else batchItemFailures.push({ itemIdentifier });
    }
    if (stopped) {
      log('info', 'digest batches wait', {
        reason: stopped.reason,
        batches: waiting.length,
        queuedAgain,
        delaySeconds: WAIT_DELAY_SECONDS,
      });
    }
    return { batchItemFailures };
  };
}

/** What a container that saw the quota spent assumes until it may try SES again. */
function quotaSpent(): SendInterrupted {
  return new SendInterrupted('quota-exhausted', 'Daily message quota exceeded (seen by this container)');
}

/** Lambda's entry: the keyring read from Secrets Manager (or SIGNING_KEYS), then the handler built once. */
export const handler = onceReady(createSendHandler);
