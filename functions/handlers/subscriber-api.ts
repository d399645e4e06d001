// The subscriber API's Lambda, behind an API Gateway HTTP API under the site's /api/: settings and clients once per
// container, then every request to the Hono app of functions/subscribers/api.ts. The bundle carries no MJML.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SESClient } from '@aws-sdk/client-ses';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { handle } from 'hono/aws-lambda';
import * as z from 'zod';
import type { DigestSettings, SiteConfig } from '../core/config.ts';
import type { TopicChoice } from '../core/signup-form.ts';
import { TOPICS_KEY } from '../core/site.ts';
import { ENV } from '../env.ts';
import { s3ClientConfig } from '../storage/location.ts';
import { S3Storage } from '../storage/s3.ts';
import { createApi } from '../subscribers/api.ts';
import { confirmationSender } from '../subscribers/confirmation-sender.ts';
import { DynamoSubscriberStore } from '../subscribers/dynamo-store.ts';
import { createTokenSigner } from '../subscribers/tokens.ts';
import { keyringSetting, log, onceReady, prefixSetting, readSettings, siteConfigSetting } from './runtime.ts';

const Settings = z.object({
  [ENV.subscriberTable]: z.string().min(3, 'the DynamoDB table of subscribers'),
  [ENV.siteBucket]: z.string().min(3, 'the public bucket whose topics.json lists the topics'),
  [ENV.sitePrefix]: prefixSetting,
  [ENV.siteConfig]: siteConfigSetting((config) =>
    config.digest
      ? (config as SiteConfig & { digest: DigestSettings })
      : 'the site configuration has no "digest" section',
  ),
  [ENV.signingKeys]: keyringSetting,
  [ENV.sesConfigurationSet]: z.string().min(1).optional(),
});

const TopicList = z.array(z.object({ slug: z.string(), label: z.string() }));
/** How long the list of topics is kept before topics.json is read again. */
const TOPICS_TTL_MS = 5 * 60_000;

/** API Gateway's view of the client (HTTP API, payload 2.0). */
interface RequestContext {
  http?: { sourceIp?: string; userAgent?: string };
}

export function createSubscriberApiHandler(env: Record<string, string | undefined>) {
  const settings = readSettings(Settings, env);
  const config = settings[ENV.siteConfig];
  const keyring = settings[ENV.signingKeys];
  const dynamoEndpoint = env.AWS_ENDPOINT_URL_DYNAMODB || env.AWS_ENDPOINT_URL;
  const sesEndpoint = env.AWS_ENDPOINT_URL_SES || env.AWS_ENDPOINT_URL;
  const documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({ maxAttempts: 5, ...(dynamoEndpoint ? { endpoint: dynamoEndpoint } : {}) }),
  );
  const site = new S3Storage(new S3Client(s3ClientConfig(env)), {
    bucket: settings[ENV.siteBucket],
    prefix: settings[ENV.sitePrefix],
  });
  const ses = new SESClient({ maxAttempts: 3, ...(sesEndpoint ? { endpoint: sesEndpoint } : {}) });
  const configurationSet = settings[ENV.sesConfigurationSet];

  let topics: { list: TopicChoice[]; at: number } | undefined;
  const readTopics = async (): Promise<TopicChoice[]> => {
    if (topics && Date.now() - topics.at < TOPICS_TTL_MS) return topics.list;
    try {
      const list = TopicList.parse(JSON.parse(new TextDecoder().decode(await site.read(TOPICS_KEY))));
      topics = { list, at: Date.now() };
    } catch (error) {
      // No topics.json yet (the feed builder writes it) or an unreadable one: offer no choice, every topic.
      log('warn', 'topics.json not readable; no topic choice offered', { error: (error as Error).name });
      topics = { list: [], at: Date.now() };
    }
    return topics.list;
  };

  const app = createApi({
    config,
    store: new DynamoSubscriberStore(documents, settings[ENV.subscriberTable]),
    signer: createTokenSigner(keyring),
    hashKey: keyring.hashKey,
    sendConfirmation: confirmationSender(ses, config, configurationSet ? { configurationSet } : {}),
    topics: readTopics,
    clock: () => new Date(),
    client: (c) => {
      const context = (c.env as { requestContext?: RequestContext } | undefined)?.requestContext;
      const ip = context?.http?.sourceIp;
      const userAgent = c.req.header('user-agent') ?? context?.http?.userAgent;
      return { ...(ip ? { ip } : {}), ...(userAgent ? { userAgent } : {}) };
    },
    log,
  });
  return handle(app);
}

/** Lambda's entry: the keyring read from Secrets Manager (or SIGNING_KEYS), then the app built once. */
export const handler = onceReady(createSubscriberApiHandler);
