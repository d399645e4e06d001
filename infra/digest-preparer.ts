// The digest preparer: an EventBridge Scheduler schedule at the weekday and hour, in the digest's time zone,
// runs one function that prepares the week's issue (web copy, archive, feeds) into the site bucket. Its state lives
// in a retained, versioned bucket: losing it would renumber issues and repeat articles.
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { TimeZone } from 'aws-cdk-lib/core';
import { Construct } from 'constructs';
import { parseSiteConfig } from '../functions/core/config.ts';
import { ENV } from '../functions/env.ts';
import { grantBucketAccess } from './bucket-access.ts';
import type { ContentStore } from './content-store.ts';
import { BUILDER_MEMORY_MB, FEED_BUILDER_STATE_PREFIX, type FeedBuilder } from './feed-builder.ts';
import { handlerFunction } from './handler-function.ts';
import type { PublicSite } from './public-site.ts';
import type { SubscriberTables } from './subscriber-tables.ts';

export interface DigestPreparerProps {
  content: ContentStore;
  site: PublicSite;
  /** Its manifest is read (never written) so unchanged articles are not fetched again. */
  feeds: FeedBuilder;
  /** The site configuration with its `digest` section; checked here, so a mistake stops the synth. */
  siteConfig: unknown;
  cacheControl: string;
}

/** Where the digest keeps its state in its bucket (functions/pipeline/digest-state.ts, functions/sending/control.ts). */
export const DIGEST_STATE_PREFIX = 'digest/';

const WEEKDAYS = {
  monday: 'MON',
  tuesday: 'TUE',
  wednesday: 'WED',
  thursday: 'THU',
  friday: 'FRI',
  saturday: 'SAT',
  sunday: 'SUN',
};

export class DigestPreparer extends Construct {
  readonly function: NodejsFunction;
  readonly stateBucket: s3.Bucket;
  readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: DigestPreparerProps) {
    super(scope, id);
    const config = parseSiteConfig(props.siteConfig, 'DigestPreparer siteConfig');
    const digest = config.digest;
    if (!digest) throw new Error('DigestPreparer needs a site configuration with a "digest" section');

    this.stateBucket = new s3.Bucket(this, 'StateBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      // Not a cache: kept when the stack goes, and every version of the state can be restored.
      removalPolicy: RemovalPolicy.RETAIN,
      // Who paused, cancelled or changed an issue's state, and when.
      serverAccessLogsBucket: props.site.logBucket,
      serverAccessLogsPrefix: 's3/digest-state/',
    });

    this.function = handlerFunction(this, 'Function', {
      handlerFile: 'prepare-digest.ts',
      // It reads every article (through the feed builder's manifest), like the feed builder: the same memory.
      memorySize: BUILDER_MEMORY_MB,
      timeout: Duration.minutes(15),
      environment: {
        [ENV.contentBucket]: props.content.bucket.bucketName,
        [ENV.contentPrefix]: props.content.prefix,
        [ENV.siteBucket]: props.site.bucket.bucketName,
        [ENV.sitePrefix]: props.site.prefix,
        [ENV.digestStateBucket]: this.stateBucket.bucketName,
        [ENV.stateBucket]: props.feeds.stateBucket.bucketName,
        [ENV.siteConfig]: JSON.stringify(props.siteConfig),
        [ENV.cacheControl]: props.cacheControl,
        // Its own lease in the feed builder's lock table: one preparer run at a time (a retry, a hand-run, a plan).
        [ENV.lockTable]: props.feeds.locks.table.tableName,
      },
    });
    props.feeds.locks.grantLease(this.function);
    grantBucketAccess(this.function, props.content.bucket, props.content.prefix, ['read'], 'the articles it reads');
    // The web copy, the archive and the digest feeds, beside the feed builder's outputs (never deleted).
    grantBucketAccess(this.function, props.site.bucket, props.site.prefix, ['read', 'write'], 'the archive it writes');
    grantBucketAccess(
      this.function,
      props.feeds.stateBucket,
      FEED_BUILDER_STATE_PREFIX,
      ['read'],
      "the feed builder's manifest, read only",
    );
    grantBucketAccess(this.function, this.stateBucket, DIGEST_STATE_PREFIX, ['read', 'write'], 'the digest state');

    // The schedule's own role (not the stack-wide one the target would make), so what it may do is said here.
    const scheduleRole = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
      description: 'Lets the weekly schedule invoke the digest preparer',
    });
    Validations.of(scheduleRole).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${Stack.of(this).resolve((this.function.node.defaultChild as lambda.CfnFunction).logicalId)}.Arn>:*]`,
      reason:
        'The scheduler target grants InvokeFunction on the function and its versions (ARN:*); the schedule invokes the unqualified function, and the role can invoke nothing else',
    });

    // Five minutes after the hour, so an article scheduled for the hour itself is in; the event carries the
    // scheduled time, which the function takes as "now", so a retried run prepares the same week's issue.
    this.schedule = new scheduler.Schedule(this, 'Weekly', {
      description: `The weekly digest: ${digest.weekday} ${digest.hour}:05 ${digest.timeZone}`,
      schedule: scheduler.ScheduleExpression.cron({
        minute: '5',
        hour: String(digest.hour),
        weekDay: WEEKDAYS[digest.weekday],
        timeZone: TimeZone.of(digest.timeZone),
      }),
      target: new schedulerTargets.LambdaInvoke(this.function, {
        input: scheduler.ScheduleTargetInput.fromObject({ time: scheduler.ContextAttribute.scheduledTime }),
        retryAttempts: 3,
        role: scheduleRole,
      }),
    });
  }

  /** From now on the function also plans the sending: every confirmed subscriber onto the send queue. */
  planSendingTo(tables: SubscriberTables, queue: sqs.IQueue): void {
    this.function.addEnvironment(ENV.subscriberTable, tables.subscribers.tableName);
    this.function.addEnvironment(ENV.sendQueueUrl, queue.queueUrl);
    // Pages through the sparse index of confirmed subscribers, shard by shard.
    tables.grantConfirmedQuery(this.function);
    // Batches onto the queue (SendMessageBatch is authorized as SendMessage); no queue attributes are read.
    iam.Grant.addToPrincipal({ grantee: this.function, actions: ['sqs:SendMessage'], resourceArns: [queue.queueArn] });
    // The day's quota, to log how many days the issue takes; GetSendQuota has no resource to limit it to.
    iam.Grant.addToPrincipal({ grantee: this.function, actions: ['ses:GetSendQuota'], resourceArns: ['*'] });
    if (this.function.role) {
      Validations.of(this.function.role).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'Only ses:GetSendQuota, an account-level read that has no resource type in IAM, so it can only be granted on *',
      });
    }
  }
}
