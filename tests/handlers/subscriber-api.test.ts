import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, inject, it } from 'vitest';
import { ConfigError } from '../../functions/core/errors.ts';
import { ENV } from '../../functions/env.ts';
import { createSubscriberApiHandler } from '../../functions/handlers/subscriber-api.ts';
import { generateKeyringText } from '../../functions/subscribers/tokens.ts';
import { newBucket, testS3Client } from '../stand-ins/s3.ts';
import { sentMail } from '../stand-ins/ses.ts';
import { DIGEST_SETTINGS } from '../support/digest.ts';
import { newSubscriberTable, testDocumentClient } from '../support/dynamo.ts';
import { HANDLER_SITE, useLambdaEnvironment } from '../support/lambda.ts';

const { logged, captureLogs } = useLambdaEnvironment();

async function deployment() {
  const s3 = testS3Client();
  const site = await newBucket(s3, 'site');
  await s3.send(
    new PutObjectCommand({
      Bucket: site,
      Key: 'topics.json',
      Body: JSON.stringify([{ slug: 'ai', label: 'AI', articles: 3 }]),
    }),
  );
  const table = await newSubscriberTable(testDocumentClient());
  return {
    AWS_ENDPOINT_URL_S3: inject('s3Endpoint'),
    AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
    AWS_ENDPOINT_URL_SES: inject('sesEndpoint'),
    [ENV.subscriberTable]: table,
    [ENV.siteBucket]: site,
    [ENV.siteConfig]: JSON.stringify({ ...HANDLER_SITE, siteUrl: 'https://www.example.org/', digest: DIGEST_SETTINGS }),
    [ENV.signingKeys]: generateKeyringText(),
  };
}

/** An API Gateway HTTP API (payload 2.0) event. */
function httpEvent(
  method: string,
  path: string,
  options: { body?: string; contentType?: string; query?: string } = {},
) {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: options.query ?? '',
    headers: {
      host: 'www.example.org',
      'user-agent': 'Mozilla/5.0 (test)',
      ...(options.contentType ? { 'content-type': options.contentType } : {}),
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'www.example.org',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.50', userAgent: 'Mozilla/5.0 (test)' },
      requestId: 'r1',
      routeKey: '$default',
      stage: '$default',
      time: '24/Nov/2026:12:00:00 +0000',
      timeEpoch: 1795521600000,
    },
    body: options.body,
    isBase64Encoded: false,
  };
}

describe('the subscriber API handler', () => {
  it('takes a form sign-up from API Gateway, offers the topics of topics.json, and sends the confirmation', async () => {
    const env = await deployment();
    captureLogs();
    const handler = createSubscriberApiHandler(env);
    const address = `lambda-${Date.now()}@example.com`;
    const response = (await handler(
      httpEvent('POST', '/api/subscribe', {
        body: new URLSearchParams([
          ['email', address],
          ['topics', 'ai'],
        ]).toString(),
        contentType: 'application/x-www-form-urlencoded',
      }) as never,
      {} as never,
    )) as { statusCode: number; body: string; headers: Record<string, string> };
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('Check your inbox');
    const mail = (await sentMail(inject('sesEndpoint'))).filter((m) => m.destination.to.includes(address));
    expect(mail).toHaveLength(1);
    expect(mail[0]?.subject).toBe('Confirm your subscription to Handler Wire');
    expect(mail[0]?.body.text).toContain('AI');
    expect(logged.join('\n')).not.toContain(address);

    const link = /https:\/\/www\.example\.org\/api\/confirm\?token=([\w.-]+)/.exec(mail[0]?.body.text ?? '')!;
    const confirmed = (await handler(
      httpEvent('GET', '/api/confirm', { query: `token=${link[1]}` }) as never,
      {} as never,
    )) as {
      statusCode: number;
      body: string;
    };
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.body).toContain('You are subscribed');
  });

  it('refuses to start without a hash key in the keyring, naming the variable', async () => {
    const env = await deployment();
    const noHash = JSON.stringify({ current: 'k1', keys: JSON.parse(env[ENV.signingKeys]).keys });
    expect(() => createSubscriberApiHandler({ ...env, [ENV.signingKeys]: noHash })).toThrow(ConfigError);
    expect(() => createSubscriberApiHandler({ ...env, [ENV.signingKeys]: noHash })).toThrow(
      /SIGNING_KEYS: the keyring has no "hashKey"/,
    );
  });
});
