// The sender Lambda: the send queue (SQS) hands it batches of recipients; each is sent with sendBatch. A batch that
// fails (SES kept failing, the daily quota is spent, the issue is paused) is reported back to SQS alone and comes
// again after the visibility timeout; one that keeps failing ends in the dead-letter queue, recipients intact.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SESClient } from '@aws-sdk/client-ses';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
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
});

const SqsEvent = z.object({
  Records: z.array(z.object({ messageId: z.string(), body: z.string() })),
});
const Batch = z.object({ issueId: z.string().regex(/^\d{4}-W\d{2}$/), recipients: z.array(z.string()).max(100) });

/** How long a container trusts what it read of the control file (pause takes effect within this). */
const CONTROL_TTL_MS = 10_000;

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
    let stopped: SendInterrupted | undefined;
    for (const record of Records) {
      if (stopped) {
        batchItemFailures.push({ itemIdentifier: record.messageId });
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
        batchItemFailures.push({ itemIdentifier: record.messageId });
        if (error instanceof SendInterrupted) {
          if (error.reason === 'quota-exhausted') {
            // Alarm on this code: the rest waits in the queue until SES's 24-hour window allows more.
            log('error', 'digest sending stopped: daily message quota exceeded', { code: 'DailyQuotaExhausted' });
            stopped = error;
          } else if (error.reason === 'paused') {
            stopped = error;
          } else
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
    return { batchItemFailures };
  };
}

/** Lambda's entry: the keyring read from Secrets Manager (or SIGNING_KEYS), then the handler built once. */
export const handler = onceReady(createSendHandler);
