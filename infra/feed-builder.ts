// The feed builder: S3 upload/delete events and a schedule go into one SQS queue; one function drains it in batches
// and rebuilds the feeds incrementally. A lease in its lock table makes one run at a time the manifest's writer.
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { parseSiteConfig } from '../functions/core/config.ts';
import { ENV } from '../functions/env.ts';
import { grantBucketAccess } from './bucket-access.ts';
import type { ContentStore } from './content-store.ts';
import { deadLetterQueue } from './dead-letter-queue.ts';
import { handlerFunction } from './handler-function.ts';
import { LockTable } from './lock-table.ts';
import type { PublicSite } from './public-site.ts';

export interface FeedBuilderProps {
  content: ContentStore;
  site: PublicSite;
  /** The site configuration (the contents of site.config.json); checked here, so a mistake stops the synth. */
  siteConfig: unknown;
  /** How often to rebuild even without uploads, so embargoed articles go live on time. */
  schedule: Duration;
  /** Cache-Control of every output; readers such as Miniflux schedule their polls from it. */
  cacheControl: string;
  /** How long uploads are gathered into one build. New articles appear within this plus one build's time. */
  batchingWindow: Duration;
}

const FUNCTION_TIMEOUT = Duration.minutes(5);
/** The feed builder's and the digest preparer's memory: both may read every article. */
export const BUILDER_MEMORY_MB = 1536;

/**
 * Where the builder keeps its manifest in its state bucket: the S3Storage prefix of functions/handlers/build-feeds.ts
 * and prepare-digest.ts (tests/infra/iam.test.ts checks they agree).
 */
export const FEED_BUILDER_STATE_PREFIX = 'feed-builder/';

export class FeedBuilder extends Construct {
  readonly function: NodejsFunction;
  readonly queue: sqs.Queue;
  /** Triggers that failed every receive, and schedule ticks EventBridge could not deliver. */
  readonly deadLetters: sqs.Queue;
  readonly stateBucket: s3.Bucket;
  readonly locks: LockTable;

  constructor(scope: Construct, id: string, props: FeedBuilderProps) {
    super(scope, id);
    if (props.batchingWindow.toSeconds() < 1 || props.batchingWindow.toSeconds() > 300) {
      throw new Error('FeedBuilder batchingWindow must be between 1 second and 5 minutes');
    }
    if (props.schedule.toMinutes() < 1) throw new Error('FeedBuilder schedule must be at least one minute');
    parseSiteConfig(props.siteConfig, 'FeedBuilder siteConfig');

    this.stateBucket = new s3.Bucket(this, 'StateBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // Only a cache: losing it means one full rebuild.
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });
    Validations.of(this.stateBucket).acknowledge({
      id: 'AwsSolutions::AwsSolutions-S1',
      reason:
        "Only the builder's disposable cache (losing it costs one full rebuild), read and written by its own role on every build: access logs would record that every few minutes and tell nothing",
    });

    this.locks = new LockTable(this, 'Locks');

    this.deadLetters = deadLetterQueue(this, 'DeadLetters', 'messages', 'FeedBuilderDeadLetters');
    this.queue = new sqs.Queue(this, 'Triggers', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS advises at least six times the function timeout for an SQS event source.
      visibilityTimeout: Duration.seconds(FUNCTION_TIMEOUT.toSeconds() * 6),
      // Messages are only "rebuild" signals; one that keeps failing is parked, and the next build covers it anyway.
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: 10 },
    });

    const notify = new s3n.SqsDestination(this.queue);
    const filter = { prefix: props.content.prefix || undefined, suffix: '.md' };
    props.content.bucket.addEventNotification(s3.EventType.OBJECT_CREATED, notify, filter);
    props.content.bucket.addEventNotification(s3.EventType.OBJECT_REMOVED, notify, filter);
    new events.Rule(this, 'Schedule', {
      schedule: events.Schedule.rate(props.schedule),
      targets: [
        new targets.SqsQueue(this.queue, {
          message: events.RuleTargetInput.fromObject({ trigger: 'schedule' }),
          // A tick EventBridge could not deliver (the queue's policy, an outage) is parked, not lost without a trace.
          deadLetterQueue: this.deadLetters,
        }),
      ],
    });

    this.function = handlerFunction(this, 'Function', {
      handlerFile: 'build-feeds.ts',
      // A first build of 100,000 articles peaked at 637 MB in the benchmark (BENCHMARKS.md, whole process): 1.5 GB
      // leaves more than twice that, and 0.87 of a vCPU parses it within the timeout (or continues at the next tick).
      memorySize: BUILDER_MEMORY_MB,
      timeout: FUNCTION_TIMEOUT,
      environment: {
        [ENV.contentBucket]: props.content.bucket.bucketName,
        [ENV.contentPrefix]: props.content.prefix,
        [ENV.siteBucket]: props.site.bucket.bucketName,
        [ENV.sitePrefix]: props.site.prefix,
        [ENV.stateBucket]: this.stateBucket.bucketName,
        [ENV.lockTable]: this.locks.table.tableName,
        [ENV.siteConfig]: JSON.stringify(props.siteConfig),
        [ENV.cacheControl]: props.cacheControl,
      },
    });
    grantBucketAccess(this.function, props.content.bucket, props.content.prefix, ['read'], 'the articles it reads');
    // Writes changed outputs (a HEAD first, which needs GetObject), deletes stale ones, lists them to find those.
    grantBucketAccess(
      this.function,
      props.site.bucket,
      props.site.prefix,
      ['read', 'write', 'delete'],
      'the feeds it writes',
    );
    grantBucketAccess(
      this.function,
      this.stateBucket,
      FEED_BUILDER_STATE_PREFIX,
      ['read', 'write'],
      'its manifest (written as it goes)',
    );
    this.locks.grantLease(this.function);
    this.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 10_000,
        maxBatchingWindow: props.batchingWindow,
        // The smallest allowed: a second run mostly finds the lease taken, marks it and returns.
        maxConcurrency: 2,
      }),
    );
    acknowledgeSqsSourceDestination(this.function);
    // CDK's own handler that sets the content bucket's notifications at deploy time (one per stack).
    const notifications = Stack.of(this)
      .node.children.filter((c) => c.node.id.startsWith('BucketNotificationsHandler'))
      .map((c) => c.node.findChild('Role'));
    for (const role of notifications) {
      Validations.of(role).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "CDK's own deploy-time handler that sets the content bucket's event notifications; its role is CDK's, used only during a deployment",
      });
    }
  }
}

/**
 * An SQS event source has no on-failure destination: Lambda offers one only for stream and Kafka sources. A batch that
 * keeps failing goes to the queue's own dead-letter queue (its redrive policy) instead.
 */
export function acknowledgeSqsSourceDestination(fn: lambda.IFunction): void {
  for (const mapping of fn.node.findAll().filter((c) => c instanceof lambda.EventSourceMapping)) {
    Validations.of(mapping).acknowledge({
      id: 'Serverless::Serverless-LambdaEventSourceMappingDestination',
      reason:
        "An SQS source: Lambda supports no on-failure destination for SQS; a message that keeps failing goes to the queue's dead-letter queue (redrive policy), which an alarm watches",
    });
  }
}
