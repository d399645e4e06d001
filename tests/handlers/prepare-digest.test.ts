import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, inject, it } from 'vitest';
import { ConfigError } from '../../functions/core/errors.ts';
import { ENV } from '../../functions/env.ts';
import { createDigestHandler } from '../../functions/handlers/prepare-digest.ts';
import { DynamoLease } from '../../functions/storage/dynamo-lease.ts';
import { newBucket, testS3Client } from '../stand-ins/s3.ts';
import { numberedArticle, SECRET } from '../support/article-source.ts';
import { DIGEST_SETTINGS } from '../support/digest.ts';
import { newLeaseTable, testDocumentClient } from '../support/dynamo.ts';
import { HANDLER_SITE, useLambdaEnvironment } from '../support/lambda.ts';

const site = HANDLER_SITE;
const { logged, captureLogs } = useLambdaEnvironment();
const admin = testS3Client();

async function deployment(config: Record<string, unknown> = { ...site, digest: DIGEST_SETTINGS }) {
  const [content, siteBucket, state] = await Promise.all([
    newBucket(admin, 'content'),
    newBucket(admin, 'site'),
    newBucket(admin, 'digest-state'),
  ]);
  const env = {
    AWS_ENDPOINT_URL_S3: inject('s3Endpoint'),
    [ENV.contentBucket]: content,
    [ENV.contentPrefix]: 'articles',
    [ENV.siteBucket]: siteBucket,
    [ENV.sitePrefix]: '',
    [ENV.digestStateBucket]: state,
    [ENV.siteConfig]: JSON.stringify(config),
  };
  const upload = (key: string, text: string) =>
    admin.send(new PutObjectCommand({ Bucket: content, Key: `articles/${key}`, Body: text }));
  const keys = async (bucket: string) =>
    ((await admin.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key).sort();
  return { env, site: siteBucket, state, upload, keys };
}

describe('the digest-preparer handler', () => {
  it('prepares the issue due at the scheduled time into the site bucket, and the state into its own bucket', async () => {
    const d = await deployment();
    await d.upload('a.md', numberedArticle(1, { publishedDateTime: '2026-11-20T09:00:00Z' }));
    captureLogs();
    const result = await createDigestHandler(d.env)({ time: '2026-11-23T06:00:00Z' });
    expect(result).toMatchObject({ outcome: 'prepared', issue: { id: '2026-W48', number: 1, shown: 1 } });
    expect(await d.keys(d.site)).toEqual([
      'digests/2026-W48.html',
      'digests/atom.xml',
      'digests/feed.json',
      'digests/feed.xml',
      'digests/index.html',
    ]);
    expect(await d.keys(d.state)).toEqual([
      'digest/issues/2026-W48.articles.json',
      'digest/issues/2026-W48.json',
      'digest/state.json',
    ]);
    const head = await admin.send(new HeadObjectCommand({ Bucket: d.site, Key: 'digests/2026-W48.html' }));
    expect(head.ContentType).toBe('text/html; charset=utf-8');
    expect(head.CacheControl).toBe('public, max-age=300');
    const line = JSON.parse(logged.find((l) => l.includes('digest prepared'))!);
    expect(line).toMatchObject({ level: 'info', outcome: 'prepared', issue: { id: '2026-W48' }, written: 5 });
    expect(logged.join('\n')).not.toContain(SECRET.slice(0, 16));
    // No mail files in AWS: the sample message is for local runs only.
    const page = await admin.send(new GetObjectCommand({ Bucket: d.site, Key: 'digests/2026-W48.html' }));
    expect(await page.Body?.transformToString()).not.toContain('token=');
  });

  it('writes nothing new when the schedule fires again in the same week', async () => {
    const d = await deployment();
    await d.upload('a.md', numberedArticle(1, { publishedDateTime: '2026-11-20T09:00:00Z' }));
    captureLogs();
    const handler = createDigestHandler(d.env);
    await handler({ time: '2026-11-23T06:00:00Z' });
    expect(await handler({ time: '2026-11-23T07:00:00Z' })).toMatchObject({ outcome: 'rewritten' });
  });

  it('refuses to start without a digest section, naming the variable', () => {
    expect(() =>
      createDigestHandler({
        [ENV.contentBucket]: 'content',
        [ENV.siteBucket]: 'site',
        [ENV.digestStateBucket]: 'state',
        [ENV.siteConfig]: JSON.stringify(site),
      }),
    ).toThrow(ConfigError);
    expect(() => createDigestHandler({ [ENV.siteConfig]: JSON.stringify(site) })).toThrow(
      /DIGEST_STATE_BUCKET: .*\n.*SITE_CONFIG: the site configuration has no "digest" section|SITE_CONFIG: the site configuration has no "digest" section/s,
    );
  });

  it('rejects an event it does not understand', async () => {
    const d = await deployment();
    await expect(createDigestHandler(d.env)({ time: 'yesterday' })).rejects.toThrow();
    await expect(createDigestHandler(d.env)({ Records: [] })).rejects.toThrow();
  });

  describe('a reputation alarm', () => {
    /** The event EventBridge delivers when a CloudWatch alarm changes state (it has a `time` too). */
    const alarmEvent = (value: string) => ({
      version: '0',
      id: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      account: '123456789012',
      time: '2026-11-23T09:12:00Z',
      region: 'eu-central-1',
      resources: ['arn:aws:cloudwatch:eu-central-1:123456789012:alarm:Newsfeeds-SesBounceRate'],
      detail: {
        alarmName: 'Newsfeeds-SesBounceRate',
        state: { value, reason: 'Threshold Crossed', timestamp: '2026-11-23T09:12:00.000+0000' },
        previousState: { value: 'OK' },
      },
    });
    const control = async (state: string, issue: string) => {
      const object = await admin
        .send(new GetObjectCommand({ Bucket: state, Key: `digest/sends/${issue}/control.json` }))
        .catch(() => undefined);
      return object ? JSON.parse((await object.Body?.transformToString()) ?? '{}') : undefined;
    };

    it("pauses the latest issue's sending when it enters ALARM, and prepares nothing", async () => {
      const d = await deployment();
      await d.upload('a.md', numberedArticle(1, { publishedDateTime: '2026-11-20T09:00:00Z' }));
      captureLogs();
      const handler = createDigestHandler(d.env);
      await handler({ time: '2026-11-23T06:00:00Z' });
      const before = await d.keys(d.site);
      expect(await control(d.state, '2026-W48')).toBeUndefined();

      expect(await handler(alarmEvent('ALARM'))).toEqual({ outcome: 'paused', issue: '2026-W48' });
      expect(await control(d.state, '2026-W48')).toEqual({ state: 'paused' });
      expect(await d.keys(d.site)).toEqual(before);
      const line = JSON.parse(logged.find((l) => l.includes('paused by an alarm'))!);
      expect(line).toMatchObject({
        level: 'warn',
        code: 'SendingPaused',
        alarm: 'Newsfeeds-SesBounceRate',
        issue: '2026-W48',
      });
    });

    it('leaves sending alone when the alarm goes back to OK, and a cancelled issue stays cancelled', async () => {
      const d = await deployment();
      await d.upload('a.md', numberedArticle(1, { publishedDateTime: '2026-11-20T09:00:00Z' }));
      captureLogs();
      const handler = createDigestHandler(d.env);
      await handler({ time: '2026-11-23T06:00:00Z' });
      expect(await handler(alarmEvent('OK'))).toEqual({ outcome: 'ignored' });
      expect(await control(d.state, '2026-W48')).toBeUndefined();

      await admin.send(
        new PutObjectCommand({
          Bucket: d.state,
          Key: 'digest/sends/2026-W48/control.json',
          Body: JSON.stringify({ state: 'cancelled' }),
        }),
      );
      expect(await handler(alarmEvent('ALARM'))).toEqual({ outcome: 'unchanged', issue: '2026-W48' });
      expect(await control(d.state, '2026-W48')).toEqual({ state: 'cancelled' });
    });

    it('has nothing to pause before the first issue', async () => {
      const d = await deployment();
      captureLogs();
      expect(await createDigestHandler(d.env)(alarmEvent('ALARM'))).toEqual({ outcome: 'unchanged' });
      expect(await d.keys(d.state)).toEqual([]);
    });
  });

  describe('one run at a time', () => {
    async function withLease() {
      const d = await deployment();
      const documents = testDocumentClient();
      const table = await newLeaseTable(documents, 'digest-leases');
      const env = { ...d.env, AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'), [ENV.lockTable]: table };
      return { d, env, lease: new DynamoLease(documents, table, 'digest-preparer') };
    }
    const context = (id: string) => ({ awsRequestId: id, getRemainingTimeInMillis: () => 60_000 });

    it('prepares under its lease and gives it back', async () => {
      const { d, env, lease } = await withLease();
      await d.upload('a.md', numberedArticle(1, { publishedDateTime: '2026-11-20T09:00:00Z' }));
      captureLogs();
      const result = await createDigestHandler(env)({ time: '2026-11-23T06:00:00Z' }, context('first'));
      expect(result).toMatchObject({ outcome: 'prepared', issue: { id: '2026-W48' } });
      // Free again: anyone may take it.
      expect(await lease.acquire('next', new Date(), 60_000)).toBe(true);
    });

    it('leaves the work to a run that holds the lease (marking it for one more round), and a plan fails to be retried', async () => {
      const { d, env, lease } = await withLease();
      await d.upload('a.md', numberedArticle(1, { publishedDateTime: '2026-11-20T09:00:00Z' }));
      captureLogs();
      expect(await lease.acquire('holder', new Date(), 60_000)).toBe(true);
      const handler = createDigestHandler(env);
      expect(await handler({ time: '2026-11-23T06:00:00Z' }, context('second'))).toEqual({
        outcome: 'running-elsewhere',
      });
      expect(await d.keys(d.site)).toEqual([]);
      // The holder sees the mark: it prepares once more before it lets go.
      expect(await lease.takeDirty('holder', new Date(), 60_000)).toBe(true);
      await expect(handler({ plan: '2026-W48' }, context('third'))).rejects.toThrow(/plan 2026-W48 again/);
      expect(await lease.release('holder')).toBe(false); // the plan's mark is there too: the holder runs again
    });
  });
});
