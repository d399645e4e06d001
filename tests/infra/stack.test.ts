// The CDK app: what it deploys (asserted on the synthesized template) and that the bundled Lambda code really runs.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { App, Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, inject, it, vi } from 'vitest';
import { ENV } from '../../functions/env.ts';
import { NewsfeedsStack } from '../../infra/stack.ts';
import { newBucket, testS3Client } from '../stand-ins/s3.ts';
import { articleFile, validFields } from '../support/article-source.ts';

const siteConfig = JSON.parse(readFileSync('site.config.json', 'utf8'));

function synth(outdir: string, overrides: Partial<ConstructorParameters<typeof NewsfeedsStack>[2]> = {}) {
  const app = new App({ outdir });
  const stack = new NewsfeedsStack(app, 'Test', {
    siteConfig,
    contentPrefix: 'articles/',
    schedule: Duration.minutes(5),
    batchingWindow: Duration.seconds(30),
    cacheControl: 'public, max-age=300',
    ...overrides,
  });
  return { app, stack, template: Template.fromStack(stack) };
}

describe('the CDK stack', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'newsfeeds-cdk-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));
  const { app, template } = synth(outdir);

  it('runs the builder on Node 24 with reserved concurrency 1, so builds never overlap', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      ReservedConcurrentExecutions: 1,
      Timeout: 300,
      Environment: {
        Variables: Match.objectLike({
          [ENV.contentPrefix]: 'articles/',
          [ENV.cacheControl]: 'public, max-age=300',
          [ENV.siteConfig]: JSON.stringify(siteConfig),
        }),
      },
    });
  });

  it('batches queue messages: up to 10,000 per build, gathered for 30 seconds', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 10000,
      MaximumBatchingWindowInSeconds: 30,
      ScalingConfig: { MaximumConcurrency: 2 },
    });
  });

  it('sends article uploads and deletions under the prefix to the queue', () => {
    const filter = {
      Key: {
        FilterRules: [
          { Name: 'suffix', Value: '.md' },
          { Name: 'prefix', Value: 'articles/' },
        ],
      },
    };
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: {
        QueueConfigurations: [
          Match.objectLike({ Events: ['s3:ObjectCreated:*'], Filter: filter }),
          Match.objectLike({ Events: ['s3:ObjectRemoved:*'], Filter: filter }),
        ],
      },
    });
  });

  it('ticks the queue every 5 minutes, so embargoed articles go live', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [Match.objectLike({ Input: '{"trigger":"schedule"}' })],
    });
  });

  it('parks failing messages in a dead-letter queue and hides messages for six function timeouts', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 1800,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 10 }),
    });
  });

  it('keeps every bucket private and encrypted', () => {
    const buckets = template.findResources('AWS::S3::Bucket');
    expect(Object.keys(buckets)).toHaveLength(3);
    for (const bucket of Object.values(buckets)) {
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.Properties.BucketEncryption).toBeDefined();
    }
  });

  it('serves the site bucket through CloudFront over HTTPS with index.html as the root', () => {
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: 'index.html',
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https' }),
      }),
    });
  });

  it('refuses to synthesize with an invalid site configuration, naming the setting', async () => {
    expect(() => synth(join(outdir, 'bad'), { siteConfig: { ...siteConfig, baseUrl: 'not a url' } })).toThrow(
      /baseUrl/,
    );
  });

  it('bundles a handler that builds feeds when run as Lambda would run it', async () => {
    const assembly = app.synth();
    const assetDir = builderAssetDir(assembly.directory, template);
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'S3RVER');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'S3RVER');
    vi.stubEnv('AWS_REGION', 'us-east-1');
    const s3 = testS3Client();
    const [content, site, state] = await Promise.all([
      newBucket(s3, 'content'),
      newBucket(s3, 'site'),
      newBucket(s3, 'state'),
    ]);
    await s3.send(new PutObjectCommand({ Bucket: content, Key: 'articles/a.md', Body: articleFile(validFields()) }));
    vi.stubEnv('AWS_ENDPOINT_URL_S3', inject('s3Endpoint'));
    vi.stubEnv(ENV.contentBucket, content);
    vi.stubEnv(ENV.contentPrefix, 'articles/');
    vi.stubEnv(ENV.siteBucket, site);
    vi.stubEnv(ENV.stateBucket, state);
    vi.stubEnv(ENV.siteConfig, JSON.stringify(siteConfig));
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const bundle = createRequire(import.meta.url)(join(assetDir, 'index.js')) as {
      handler: (event: unknown) => Promise<unknown>;
    };
    const summary = await bundle.handler({ Records: [{ messageId: 'm1' }] });
    expect(summary).toMatchObject({ read: 1, published: 1 });
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });
});

/** The folder of the feed builder's code asset in a synthesized cloud assembly (found by its zip's hash). */
function builderAssetDir(directory: string, template: Template): string {
  const [builder] = Object.values(
    template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: Match.objectLike({ [ENV.siteConfig]: Match.anyValue() }) } },
    }),
  );
  const zip = (builder?.Properties.Code.S3Key as string | undefined) ?? '';
  return join(directory, `asset.${zip.replace(/\.zip$/, '')}`);
}
