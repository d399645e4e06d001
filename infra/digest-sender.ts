// Sending the digest: the preparer plans an issue onto the send queue (batches of recipients); sender functions take
// batches off it, at most digest.sending.maxConcurrency at once, each at its share of the account's SES rate
// (functions/sending/rate.ts). A batch that fails comes back after the visibility timeout; one that keeps failing waits
// in the dead-letter queue with its recipients intact; one that only has to wait is queued again by the sender. The
// ledger makes every redelivery safe: no one gets an issue twice.
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { parseSiteConfig } from '../functions/core/config.ts';
import { ENV } from '../functions/env.ts';
import { senderRate } from '../functions/sending/rate.ts';
import { grantBucketAccess } from './bucket-access.ts';
import { SQS_MIN_CONCURRENCY } from './concurrency.ts';
import { deadLetterQueue } from './dead-letter-queue.ts';
import { DIGEST_STATE_PREFIX } from './digest-preparer.ts';
import { acknowledgeSqsSourceDestination } from './feed-builder.ts';
import { handlerFunction } from './handler-function.ts';
import type { MailIdentity } from './mail-identity.ts';
import type { SubscriberTables } from './subscriber-tables.ts';
import type { TokenKeyring } from './token-keyring.ts';

export interface DigestSenderProps {
  /** The site configuration with its `digest` section (digest.sending sets the pace). */
  siteConfig: unknown;
  tables: SubscriberTables;
  keyring: TokenKeyring;
  mail: MailIdentity;
  /** The digest's state bucket: the copy and its control file (pause, cancel) are read from it. */
  stateBucket: s3.IBucket;
}

/** The longest a Lambda may run: at a new account's sandbox rate (1/s), one batch of 100 takes over 3 minutes. */
export const SENDER_TIMEOUT = Duration.minutes(15);
/** The most recipients the planner puts in one message (functions/handlers/send-digest.ts accepts 100). */
export const RECIPIENTS_PER_MESSAGE = 100;
/**
 * Receives before a batch is parked. Only failures count: a batch that merely waits (the day's SES quota is spent, the
 * issue is paused) is queued again as a new, delayed message (functions/handlers/send-digest.ts). A failing batch
 * comes back once per visibility timeout (90 minutes), so 50 receives are about three days: an SES outage, or a fix
 * deployed within that time, needs no redrive.
 */
export const MAX_RECEIVES = 50;

/**
 * How many messages one invocation takes: as many as one sender sends in half its timeout at its share of the rate
 * (the other half is headroom for SES's retries and back-off), at most SQS's 10 without a batching window.
 */
export function senderBatchSize(sending: { ratePerSecond: number; maxConcurrency: number }): number {
  const perSecond = senderRate(sending);
  const fits = Math.floor(((SENDER_TIMEOUT.toSeconds() / 2) * perSecond) / RECIPIENTS_PER_MESSAGE);
  if (fits < 1) {
    throw new Error(
      `digest.sending: each of ${sending.maxConcurrency} senders would send ${perSecond.toFixed(2)} messages a second, ` +
        `too slow for a batch of ${RECIPIENTS_PER_MESSAGE} within half of its ${SENDER_TIMEOUT.toMinutes()}-minute ` +
        'timeout: lower maxConcurrency or raise ratePerSecond to your SES account rate',
    );
  }
  return Math.min(10, fits);
}

export class DigestSender extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetters: sqs.Queue;
  readonly function: NodejsFunction;
  /** The event source's maximum concurrency: digest.sending.maxConcurrency, which the senders divide the rate by. */
  readonly maxConcurrency: number;

  constructor(scope: Construct, id: string, props: DigestSenderProps) {
    super(scope, id);
    const config = parseSiteConfig(props.siteConfig, 'DigestSender siteConfig');
    if (!config.digest) throw new Error('DigestSender needs a site configuration with a "digest" section');
    const sending = config.digest.sending;
    // Exactly the configured number: each sender takes 1/maxConcurrency of the rate, so more would exceed the
    // account's rate and fewer would send slower than it allows.
    this.maxConcurrency = Math.max(SQS_MIN_CONCURRENCY, sending.maxConcurrency);
    const batchSize = senderBatchSize(sending);

    this.deadLetters = deadLetterQueue(this, 'DeadLetters', 'batches', 'DigestSenderDeadLetters');
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS advises at least six times the function timeout for an SQS event source.
      visibilityTimeout: Duration.seconds(SENDER_TIMEOUT.toSeconds() * 6),
      // A million recipients at a new production account's 50,000 a day take 20 days: keep batches as long as SQS can.
      retentionPeriod: Duration.days(14),
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: MAX_RECEIVES },
    });

    this.function = handlerFunction(this, 'Function', {
      handlerFile: 'send-digest.ts',
      memorySize: 1024,
      timeout: SENDER_TIMEOUT,
      environment: {
        [ENV.subscriberTable]: props.tables.subscribers.tableName,
        [ENV.ledgerTable]: props.tables.ledger.tableName,
        [ENV.digestStateBucket]: props.stateBucket.bucketName,
        [ENV.siteConfig]: JSON.stringify(props.siteConfig),
      },
    });
    // A batch that waits for the quota or a paused issue is queued again, delayed, so waiting is not a failure.
    this.function.addEnvironment(ENV.sendQueueUrl, this.queue.queueUrl);
    iam.Grant.addToPrincipal({
      grantee: this.function,
      actions: ['sqs:SendMessage'],
      resourceArns: [this.queue.queueArn],
    });
    // One batched read of the recipients per batch.
    props.tables.grantSubscriberItems(this.function, 'dynamodb:BatchGetItem');
    // Claim (put), settle (update), give back (delete), and read an entry another sender claimed.
    props.tables.grantLedgerItems(
      this.function,
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
    );
    // The copy and control file (digest/…); listing lets a missing control file answer 404, not 403.
    grantBucketAccess(
      this.function,
      props.stateBucket,
      DIGEST_STATE_PREFIX,
      ['read'],
      "the issue's copy and its control file, read only",
    );
    props.mail.grantSendRawEmail(this.function);
    props.keyring.grantReadTo(this.function);

    this.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize,
        // No batching window: the planner queues a whole issue at once, so waiting would only delay it.
        maxConcurrency: this.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
    acknowledgeSqsSourceDestination(this.function);
  }
}
