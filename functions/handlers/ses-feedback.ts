// The SES feedback Lambda: a rule on the default event bus sends it the configuration set's bounce, complaint and
// delivery events (SNS-delivered ones are read too); it suppresses bounced and complaining addresses in the store.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { ENV } from '../env.ts';
import { addressHash } from '../subscribers/address.ts';
import { applyFeedback } from '../subscribers/apply-feedback.ts';
import { DynamoSubscriberStore } from '../subscribers/dynamo-store.ts';
import { parseFeedbackEvent } from '../subscribers/feedback.ts';
import { parseKeyring } from '../subscribers/tokens.ts';
import { log, onceReady, readSettings } from './runtime.ts';

/** Only the keyring's hash key is used here: suppressions are logged by keyed hash, never by address. */
const hashKeySetting = z.string().transform((text, ctx): Uint8Array => {
  try {
    const { hashKey } = parseKeyring(text, ENV.signingKeys);
    if (hashKey) return hashKey;
    ctx.addIssue({ code: 'custom', message: 'the keyring has no "hashKey" (needed to log suppressions by hash)' });
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
  return z.NEVER;
});

const Settings = z.object({
  [ENV.subscriberTable]: z.string().min(3, 'the DynamoDB table of subscribers'),
  [ENV.signingKeys]: hashKeySetting,
});

/** Builds the handler from an environment: settings are checked once, the client is created once per container. */
export function createFeedbackHandler(env: Record<string, string | undefined>) {
  const settings = readSettings(Settings, env);
  const hashKey = settings[ENV.signingKeys];
  const endpoint = env.AWS_ENDPOINT_URL_DYNAMODB || env.AWS_ENDPOINT_URL;
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: 5, ...(endpoint ? { endpoint } : {}) }));
  const store = new DynamoSubscriberStore(client, settings[ENV.subscriberTable]);

  return async (event: unknown) => {
    const items = parseFeedbackEvent(event); // throws on a malformed event, naming no address
    const started = Date.now();
    const { suppressedAddresses, ...counts } = await applyFeedback(store, items, new Date());
    log('info', 'ses feedback applied', {
      items: items.length,
      ...counts,
      suppressedHashes: suppressedAddresses.map((address) => addressHash(hashKey, address)),
      durationMs: Date.now() - started,
    });
    return { items: items.length, ...counts };
  };
}

/** Lambda's entry: the keyring read from Secrets Manager (or SIGNING_KEYS), then the handler built once. */
export const handler = onceReady(createFeedbackHandler);
