// The CDK app: what it deploys (asserted on the synthesized template) and that the bundled Lambda code really runs.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, inject, it, vi } from 'vitest';
import { ENV } from '../../functions/env.ts';
import { NewsfeedsStack } from '../../infra/stack.ts';
import { newBucket, testS3Client } from '../stand-ins/s3.ts';
import { articleFile, validFields } from '../support/article-source.ts';
import { testApp } from '../support/cdk-app.ts';
import { newLeaseTable, testDocumentClient } from '../support/dynamo.ts';

const siteConfig = JSON.parse(readFileSync('site.config.json', 'utf8'));

function synth(outdir: string, overrides: Partial<ConstructorParameters<typeof NewsfeedsStack>[2]> = {}) {
  const app = testApp({ outdir });
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

describe('the digest preparer', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'newsfeeds-cdk-digest-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));
  const { app, template } = synth(outdir);

  it('runs weekly at the configured weekday and hour, in the digest time zone, passing the scheduled time', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(5 7 ? * MON *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      Target: Match.objectLike({ Input: '{"time":"<aws.scheduler.scheduled-time>"}' }),
    });
  });

  it('keeps its state in a retained, versioned bucket', () => {
    const [bucket] = Object.entries(template.findResources('AWS::S3::Bucket')).filter(([id]) =>
      id.startsWith('DigestStateBucket'),
    );
    expect(bucket?.[1]).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: { VersioningConfiguration: { Status: 'Enabled' } },
    });
  });

  it('reserves no concurrency (a new account cannot)', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    const digest = Object.entries(functions).find(([id]) => id.startsWith('DigestFunction'));
    expect(digest?.[1].Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('is left out when the configuration has no digest section', () => {
    const { digest: _, ...withoutDigest } = siteConfig;
    const { template } = synth(join(outdir, 'no-digest'), { siteConfig: withoutDigest });
    expect(Object.keys(template.findResources('AWS::Scheduler::Schedule'))).toHaveLength(0);
  });

  it('bundles a handler without mjml that prepares the issue when run as Lambda would run it', async () => {
    const assembly = app.synth();
    const assetDir = assetDirOf(assembly.directory, template, 'Digest');
    const code = readFileSync(join(assetDir, 'index.js'), 'utf8');
    // The compiled templates are in (their class names say mj-column), MJML itself is not.
    expect(code.includes('mj-column-per-100')).toBe(true);
    expect(['mjml-core', 'mjml2html', 'mjml-parser-xml'].filter((name) => code.includes(name))).toEqual([]);
    const s3 = testS3Client();
    const [content, site, state] = await Promise.all([
      newBucket(s3, 'content'),
      newBucket(s3, 'site'),
      newBucket(s3, 'digest-state'),
    ]);
    const article = articleFile(validFields({ publishedDateTime: '2026-11-20T09:00:00Z' }));
    await s3.send(new PutObjectCommand({ Bucket: content, Key: 'articles/a.md', Body: article }));
    const env = {
      [ENV.contentBucket]: content,
      [ENV.contentPrefix]: 'articles/',
      [ENV.siteBucket]: site,
      [ENV.digestStateBucket]: state,
    };
    const result = await runBundle(assetDir, env, { time: '2026-11-23T06:05:00Z' });
    expect(result).toMatchObject({ outcome: 'prepared', issue: { id: '2026-W48', number: 1, shown: 1 } });
  });
});

describe('the CDK stack', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'newsfeeds-cdk-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));
  const { app, template } = synth(outdir);

  it('runs the builder on Node 24 with its settings and its lock table', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Timeout: 300,
      Environment: {
        Variables: Match.objectLike({
          [ENV.contentPrefix]: 'articles/',
          [ENV.cacheControl]: 'public, max-age=300',
          [ENV.siteConfig]: JSON.stringify(siteConfig),
          [ENV.lockTable]: { Ref: Match.stringLikeRegexp('^FeedBuilderLocks') },
        }),
      },
    });
  });

  it('reserves concurrency for no function (a new account cannot): a lease keeps builds from overlapping', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(functions.length).toBeGreaterThan(0);
    for (const fn of functions) expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('keeps the leases in an on-demand table whose expired items DynamoDB deletes', () => {
    // The digest's subscriber and ledger tables are the newsletter's (tests/infra/mail.test.ts).
    const locks = Object.entries(template.findResources('AWS::DynamoDB::Table')).filter(([id]) =>
      id.startsWith('FeedBuilderLocks'),
    );
    expect(locks).toHaveLength(1);
    expect(locks[0]?.[1].Properties).toMatchObject({
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('lets the builder read and write its lock table', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']),
            // One resource (the feature flag @aws-cdk/aws-iam:minimizePolicies merges statements): not a list.
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FeedBuilderLocks'), 'Arn'] },
          }),
        ]),
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
    // Content, site, the site's access logs, the feed builder's state, the digest's state.
    expect(Object.keys(buckets)).toHaveLength(5);
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
    const assetDir = assetDirOf(assembly.directory, template, 'FeedBuilder');
    const s3 = testS3Client();
    const [content, site, state, locks] = await Promise.all([
      newBucket(s3, 'content'),
      newBucket(s3, 'site'),
      newBucket(s3, 'state'),
      newLeaseTable(testDocumentClient(), 'locks'),
    ]);
    await s3.send(new PutObjectCommand({ Bucket: content, Key: 'articles/a.md', Body: articleFile(validFields()) }));
    const env = {
      [ENV.contentBucket]: content,
      [ENV.contentPrefix]: 'articles/',
      [ENV.siteBucket]: site,
      [ENV.stateBucket]: state,
      [ENV.lockTable]: locks,
      AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
    };
    const summary = await runBundle(assetDir, env, { Records: [{ messageId: 'm1' }] });
    expect(summary).toMatchObject({ read: 1, published: 1 });
  });
});

/** The folder of a function's code asset in a synthesized cloud assembly (found by its zip's hash). */
function assetDirOf(directory: string, template: Template, construct: 'FeedBuilder' | 'Digest'): string {
  const functions = template.findResources('AWS::Lambda::Function', {
    Properties: { Environment: { Variables: Match.objectLike({ [ENV.siteConfig]: Match.anyValue() }) } },
  });
  const [found] = Object.entries(functions).filter(([logicalId]) => logicalId.startsWith(`${construct}Function`));
  const zip = (found?.[1].Properties.Code.S3Key as string | undefined) ?? '';
  return join(directory, `asset.${zip.replace(/\.zip$/, '')}`);
}

/**
 * Loads a bundled handler the way Lambda would (CommonJS, its own copy of everything), with the stand-in's endpoint,
 * fake credentials and `env` in the environment, and runs it on `event`.
 */
async function runBundle(assetDir: string, env: Record<string, string>, event: unknown): Promise<unknown> {
  const stubs = {
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_S3: inject('s3Endpoint'),
    [ENV.siteConfig]: JSON.stringify(siteConfig),
    ...env,
  };
  for (const [name, value] of Object.entries(stubs)) vi.stubEnv(name, value);
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    const bundle = createRequire(import.meta.url)(join(assetDir, 'index.js')) as {
      handler: (event: unknown) => Promise<unknown>;
    };
    return await bundle.handler(event);
  } finally {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  }
}
