import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, inject, it } from 'vitest';
import { ConfigError } from '../../functions/core/errors.ts';
import { ENV } from '../../functions/env.ts';
import { createBuildHandler } from '../../functions/handlers/build-feeds.ts';
import { DynamoLease } from '../../functions/storage/dynamo-lease.ts';
import { newBucket, testS3Client } from '../stand-ins/s3.ts';
import { articleFile, SECRET, validFields } from '../support/article-source.ts';
import { newLeaseTable, testDocumentClient } from '../support/dynamo.ts';
import { HANDLER_SITE, useLambdaEnvironment } from '../support/lambda.ts';

const siteConfig = JSON.stringify(HANDLER_SITE);
const { logged, captureLogs } = useLambdaEnvironment();
const admin = testS3Client();
const documents = testDocumentClient();

async function deployment() {
  const [content, site, state, locks] = await Promise.all([
    newBucket(admin, 'content'),
    newBucket(admin, 'site'),
    newBucket(admin, 'state'),
    newLeaseTable(documents, 'locks'),
  ]);
  const env = {
    AWS_ENDPOINT_URL_S3: inject('s3Endpoint'),
    AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
    [ENV.lockTable]: locks,
    [ENV.contentBucket]: content,
    [ENV.contentPrefix]: 'articles',
    [ENV.siteBucket]: site,
    [ENV.sitePrefix]: 'feeds/',
    [ENV.stateBucket]: state,
    [ENV.siteConfig]: siteConfig,
    [ENV.cacheControl]: 'public, max-age=120',
  };
  const upload = (key: string, text: string) =>
    admin.send(new PutObjectCommand({ Bucket: content, Key: `articles/${key}`, Body: text }));
  return { env, content, site, upload };
}

const sqsBatch = { Records: [{ messageId: '1', body: '{"Records":[{"eventName":"ObjectCreated:Put"}]}' }] };

describe('the feed-builder handler', () => {
  it('builds the feeds from the content bucket into the site bucket with content types and cache policy', async () => {
    const { env, site, upload } = await deployment();
    await upload('a.md', articleFile(validFields({ publishedDateTime: '2026-11-20T09:00:00Z' })));
    captureLogs();
    const summary = await createBuildHandler(env)(sqsBatch);
    expect(summary).toMatchObject({ read: 1, published: 1 });
    const head = await admin.send(new HeadObjectCommand({ Bucket: site, Key: 'feeds/feed.xml' }));
    expect(head.ContentType).toBe('application/rss+xml; charset=utf-8');
    expect(head.CacheControl).toBe('public, max-age=120');
    const json = await admin.send(new HeadObjectCommand({ Bucket: site, Key: 'feeds/feed.json' }));
    expect(json.ContentType).toBe('application/feed+json; charset=utf-8');
  });

  it('logs one JSON line per run with counts, requests and duration, and never the secured value', async () => {
    const { env, upload } = await deployment();
    await upload('a.md', articleFile(validFields()));
    await upload('b.md', articleFile(validFields({ quality: 'high', webUrl: 'https://x.example/b' })));
    captureLogs();
    await createBuildHandler(env)(sqsBatch);
    const lines = logged.map((line) => JSON.parse(line));
    const run = lines.find((l) => l.message === 'feeds built');
    expect(run).toMatchObject({
      level: 'info',
      read: 2,
      published: 1,
      skipped: { invalid: 1 },
      triggeredBy: 'sqs:1',
      fetched: 2,
      feedsRendered: run.feeds,
      fullRebuildBecause: 'no manifest yet',
      requests: { ListObjectsV2: 2, GetObject: 3 },
    });
    expect(run.durationMs).toBeGreaterThanOrEqual(0);
    expect(lines).toContainEqual({
      level: 'warn',
      message: 'article skipped (invalid)',
      file: expect.stringMatching(/articles\/b\.md$/),
      field: 'quality',
      reason: 'expected a number from 0 to 100, got "high"',
    });
    expect(logged.join('\n')).not.toContain(SECRET.slice(0, 24));
  });

  it('takes "now" from a scheduled event, so embargoed articles go live on the schedule', async () => {
    const { env, upload } = await deployment();
    await upload('later.md', articleFile(validFields({ publishedDateTime: '2026-12-03T08:00:00Z' })));
    captureLogs();
    const handler = createBuildHandler(env);
    expect(await handler({ time: '2026-12-03T07:59:00Z' })).toMatchObject({ published: 0, skipped: { scheduled: 1 } });
    expect(await handler({ time: '2026-12-03T08:00:00Z' })).toMatchObject({ published: 1 });
  });

  it('succeeds without building while another build holds the lease, marking it for another round', async () => {
    const { env, site, upload } = await deployment();
    await upload('a.md', articleFile(validFields()));
    const lease = new DynamoLease(documents, env[ENV.lockTable], 'feed-builder');
    expect(await lease.acquire('running-build', new Date(), 60_000)).toBe(true);
    captureLogs();

    expect(await createBuildHandler(env)(sqsBatch, { awsRequestId: 'late' })).toEqual({ ran: false });
    expect(logged.map((line) => JSON.parse(line))).toEqual([
      { level: 'info', message: 'build already running; marked for another round' },
    ]);
    expect(await lease.takeDirty('running-build', new Date(), 60_000)).toBe(true);
    await expect(admin.send(new HeadObjectCommand({ Bucket: site, Key: 'feeds/feed.xml' }))).rejects.toThrow();
  });

  it('gives the lease up after building', async () => {
    const { env, upload } = await deployment();
    await upload('a.md', articleFile(validFields()));
    captureLogs();
    await createBuildHandler(env)(sqsBatch, { awsRequestId: 'r1', getRemainingTimeInMillis: () => 300_000 });
    const lease = new DynamoLease(documents, env[ENV.lockTable], 'feed-builder');
    expect(await lease.acquire('next-build', new Date(), 60_000)).toBe(true);
    expect(logged.map((line) => JSON.parse(line)).find((l) => l.message === 'feeds built')).toMatchObject({
      rounds: 1,
    });
  });

  it('refuses to start without its settings, naming the variable', () => {
    expect(() => createBuildHandler({ [ENV.contentBucket]: 'content' })).toThrow(ConfigError);
    expect(() => createBuildHandler({ [ENV.contentBucket]: 'content' })).toThrow(/SITE_BUCKET/);
  });

  it('refuses an invalid site configuration, naming the setting', () => {
    const env = {
      [ENV.contentBucket]: 'content',
      [ENV.siteBucket]: 'site',
      [ENV.stateBucket]: 'state',
      [ENV.siteConfig]: '{"title":"x"}',
    };
    expect(() => createBuildHandler(env)).toThrow(/baseUrl: missing setting/);
  });

  it('rejects an event it does not understand', async () => {
    const { env } = await deployment();
    await expect(createBuildHandler(env)({ time: 'yesterday' })).rejects.toThrow();
  });

  it('refuses a build that would empty the site: one error line an alarm can match, success, site unchanged', async () => {
    const { env, site, content, upload } = await deployment();
    await upload('a.md', articleFile(validFields({ topics: ['Energy'] })));
    const handler = createBuildHandler(env);
    captureLogs();
    await handler(sqsBatch);
    const before = await admin.send(new HeadObjectCommand({ Bucket: site, Key: 'feeds/topics/energy/feed.xml' }));
    await admin.send(new DeleteObjectCommand({ Bucket: content, Key: 'articles/a.md' }));
    logged.length = 0;

    const summary = await handler(sqsBatch); // resolves: a retry would be refused again, into the dead-letter queue
    expect(summary).toMatchObject({ outputs: { written: 0, unchanged: 0, deleted: 0 } });
    const errors = logged.map((line) => JSON.parse(line)).filter((l) => l.level === 'error');
    expect(errors).toEqual([
      {
        level: 'error',
        message: 'build refused: it would shrink the site; nothing was written',
        code: 'ShrinkRefused',
        reason: 'the build would publish no article where feeds exist',
        existingFeeds: 2,
        deletedFeeds: 2,
        published: 0,
      },
    ]);
    const after = await admin.send(new HeadObjectCommand({ Bucket: site, Key: 'feeds/topics/energy/feed.xml' }));
    expect(after.ETag).toBe(before.ETag);
  });

  it('builds what was refused when invoked by hand with {"allowShrink": true}', async () => {
    const { env, site, content, upload } = await deployment();
    await upload('a.md', articleFile(validFields({ topics: ['Energy'] })));
    const handler = createBuildHandler(env);
    captureLogs();
    await handler({});
    await admin.send(new DeleteObjectCommand({ Bucket: content, Key: 'articles/a.md' }));
    expect(await handler({})).toMatchObject({ outputs: { written: 0 } });
    const summary = await handler({ allowShrink: true });
    expect(summary).toMatchObject({ published: 0, outputs: { deleted: 6 } });
    await expect(
      admin.send(new HeadObjectCommand({ Bucket: site, Key: 'feeds/topics/energy/feed.xml' })),
    ).rejects.toThrow();
  });

  it('accepts allowShrink only from a manual invocation, and only as true or false', async () => {
    const { env } = await deployment();
    const handler = createBuildHandler(env);
    captureLogs();
    await expect(handler({ allowShrink: 'yes' })).rejects.toThrow();
    await expect(handler({ allowShrink: true, extra: 1 })).rejects.toThrow();
  });
});
