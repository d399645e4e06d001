// The operator learns from an alarm, not from a reader, when something breaks: CloudWatch alarms to one SNS topic,
// mailed to the alarm email. Each alarm's description says what it means and what to do; no data means all is well.
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { DigestPreparer } from './digest-preparer.ts';
import type { FeedBuilder } from './feed-builder.ts';
import type { Newsletter } from './newsletter.ts';

export interface AlarmsProps {
  /** Where alarms are mailed; SNS sends a confirmation link first. Absent: subscribe to the topic by hand. */
  email?: string;
}

/**
 * SES reviews an account whose bounce rate reaches 5% or whose complaint rate reaches 0.1%, and may pause its sending
 * at 10% and 0.5%. The alarms fire at 4% and 0.08%: early enough to stop a bad list before the review, and above what a
 * healthy, double-opt-in list shows (under 2% bounces, under 0.05% complaints), so they do not cry wolf.
 */
export const SES_BOUNCE_RATE_ALARM = 0.04;
export const SES_COMPLAINT_RATE_ALARM = 0.0008;

/**
 * The send queue's oldest batch may legitimately wait this long. The planner queues a whole issue at once and the
 * senders take it off at the configured rate (digest.sending.ratePerSecond: the default 14/s sends 50,000 in an hour,
 * a million in 20 hours). A batch that has to wait (the daily quota is spent, the issue is paused) is queued again as
 * a new message every 15 minutes (functions/handlers/send-digest.ts), so waiting keeps batches young. A batch older
 * than a day therefore means no sender is taking batches at all (the event source disabled, every run failing before
 * it reads the queue, throttled invocations), or a send slower than a day at the configured rate (at the SES
 * sandbox's 1/s, 90,000 recipients). The daily quota has its own alarm (DigestSendQuotaExhausted).
 */
export const SEND_QUEUE_AGE_ALARM = Duration.hours(25);

/** A run this close to its timeout is a warning: the next, slightly larger one fails. */
const NEAR_TIMEOUT = 0.8;

const PERIOD = Duration.minutes(5);

export class Alarms extends Construct {
  readonly topic: sns.Topic;
  /** Every alarm, in the order they were added. */
  readonly alarms: cloudwatch.Alarm[] = [];
  /** Namespace of the metrics counted from log lines (one per stack, so two deployments do not mix). */
  readonly namespace: string;
  private readonly action: cloudwatchActions.SnsAction;

  constructor(scope: Construct, id: string, props: AlarmsProps = {}) {
    super(scope, id);
    const stackName = Stack.of(this).stackName;
    this.namespace = `Newsfeeds/${stackName}`;
    // A key of our own: CloudWatch cannot publish to a topic under the AWS-managed SNS key.
    const key = new kms.Key(this, 'TopicKey', {
      description: `Encrypts the ${stackName} alarm topic; CloudWatch alarms may use it to publish`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    key.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: `${stackName} alarms`,
      masterKey: key,
      enforceSSL: true,
    });
    if (props.email) {
      const subscription = new subscriptions.EmailSubscription(props.email);
      this.topic.addSubscription(subscription);
      Validations.of(this.topic).acknowledge({
        id: 'Serverless::Serverless-SNSRedrivePolicy',
        reason:
          'An email subscription: SNS retries the delivery, and an alarm that was not mailed still shows in CloudWatch; a dead-letter queue nobody reads adds nothing',
      });
    }
    this.action = new cloudwatchActions.SnsAction(this.topic);
  }

  /**
   * A function's failures: any error in five minutes. With `nearTimeout`, also a run that took 80% of the timeout
   * (for builds, whose time grows with the content).
   */
  watchFunction(label: string, fn: lambda.Function, options: { nearTimeout?: boolean; advice?: string } = {}): void {
    const logs = `its log group ${fn.logGroup.logGroupName}`;
    this.add(`${label}Errors`, {
      metric: fn.metricErrors({ period: PERIOD, statistic: cloudwatch.Stats.SUM }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      description:
        `The ${label} function failed (threw, timed out or ran out of memory) at least once in 5 minutes. ` +
        `What to do: in CloudWatch Logs Insights, query ${logs} for level = "error" or "Task timed out"; ` +
        (options.advice ??
          'fix the cause; failed messages are retried and, if they keep failing, parked in its dead-letter queue.'),
    });
    if (options.nearTimeout) {
      const timeout = fn.timeout ?? Duration.seconds(3);
      this.add(`${label}NearTimeout`, {
        metric: fn.metricDuration({ period: PERIOD, statistic: cloudwatch.Stats.MAXIMUM }),
        threshold: Math.round(timeout.toMilliseconds() * NEAR_TIMEOUT),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        description:
          `A ${label} run took ${NEAR_TIMEOUT * 100}% or more of its ${timeout.toHumanString()} timeout: a slightly ` +
          `larger one will time out. What to do: look at durationMs and fetched in ${logs}; a full rebuild (new ` +
          'manifest, --full) is expected once; if runs keep growing, raise the memory (more CPU) or the timeout in infra/.',
      });
    }
  }

  /** Messages that failed too often and were parked: any at all. `advice` follows "What to do:". */
  watchDeadLetters(label: string, queue: sqs.IQueue, advice: string): void {
    this.add(`${label}DeadLetters`, {
      metric: queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: cloudwatch.Stats.MAXIMUM }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      description: `Messages are waiting in the ${label} dead-letter queue ${queue.queueName}: they failed every retry. What to do: ${advice}`,
    });
  }

  /** A queue that is not drained: its oldest message is older than `threshold`. `advice` follows "What to do:". */
  watchQueueAge(label: string, queue: sqs.IQueue, threshold: Duration, advice: string): void {
    this.add(`${label}QueueAge`, {
      metric: queue.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: cloudwatch.Stats.MAXIMUM }),
      threshold: threshold.toSeconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      description: `The oldest message in the ${label} queue ${queue.queueName} is older than ${threshold.toHumanString()}. What to do: ${advice}`,
    });
  }

  /**
   * A log line that must never go unnoticed, counted by a metric filter: any in five minutes. Handlers log JSON, so a
   * pattern such as `FilterPattern.stringValue('$.code', '=', 'ShrinkRefused')` matches one field.
   */
  watchLogLine(
    label: string,
    logGroup: logs.ILogGroup,
    pattern: logs.IFilterPattern,
    text: { meaning: string; advice: string },
    /** Counted over this long (default 5 minutes): a condition logged every few minutes needs a longer period. */
    period: Duration = PERIOD,
  ): logs.MetricFilter {
    const filter = new logs.MetricFilter(this, `${label}Filter`, {
      logGroup,
      filterPattern: pattern,
      metricNamespace: this.namespace,
      metricName: label,
      metricValue: '1',
    });
    this.add(label, {
      metric: filter.metric({ period, statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      description: `${text.meaning} What to do: ${text.advice}`,
    });
    return filter;
  }

  /**
   * The account's SES reputation (AWS/SES, account-wide), below the levels at which SES reviews and pauses sending.
   * Returns the two alarms: entering ALARM, each pauses the latest issue's sending (infra/stack.ts).
   */
  watchSesReputation(): cloudwatch.Alarm[] {
    const reputation = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/SES',
        metricName,
        period: Duration.hours(1),
        statistic: cloudwatch.Stats.MAXIMUM,
      });
    const bounces = this.add('SesBounceRate', {
      metric: reputation('Reputation.BounceRate'),
      threshold: SES_BOUNCE_RATE_ALARM,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      description:
        `The SES bounce rate reached ${SES_BOUNCE_RATE_ALARM * 100}%. SES reviews the account at 5% and may pause its ` +
        "sending at 10%. The latest issue's sending was paused automatically. What to do: keep later issues held " +
        '(digest.requireApproval), look at the ' +
        "bounces in the SES console's reputation page and the feedback handler's log, and remove imported addresses that " +
        'never confirmed (hard bounces are suppressed automatically); then npm run digest -- resume.',
    });
    const complaints = this.add('SesComplaintRate', {
      metric: reputation('Reputation.ComplaintRate'),
      threshold: SES_COMPLAINT_RATE_ALARM,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      description:
        `The SES complaint rate reached ${SES_COMPLAINT_RATE_ALARM * 100}%. SES reviews the account at 0.1% and may ` +
        "pause its sending at 0.5%. The latest issue's sending was paused automatically. What to do: check that every " +
        'recipient signed up and confirmed, ' +
        'that the unsubscribe link works, and that the sender name and subject are recognisable; complainers are ' +
        'unsubscribed automatically. Then npm run digest -- resume.',
    });
    return [bounces, complaints];
  }

  /** The feed builder: failures, runs near the timeout, parked triggers, a stalled queue, a build the shrink guard refused. */
  watchFeedBuilder(feeds: FeedBuilder): void {
    this.watchFunction('FeedBuilder', feeds.function, {
      nearTimeout: true,
      advice:
        'a rejected article is a warning, not an error, so an error here is an outage (S3, DynamoDB) or a bug; the ' +
        'next upload or the schedule retries.',
    });
    const deadLetters = feeds.queue.deadLetterQueue?.queue;
    if (deadLetters) {
      this.watchDeadLetters(
        'FeedBuilder',
        deadLetters,
        'each is only a "rebuild" signal and the schedule rebuilds anyway, so nothing is lost: fix the failure (see ' +
          'the FeedBuilderErrors alarm), then purge the queue.',
      );
    }
    const timeout = feeds.function.timeout ?? Duration.minutes(5);
    this.watchQueueAge(
      'FeedBuilder',
      feeds.queue,
      Duration.seconds(Math.max(15 * 60, 3 * timeout.toSeconds())),
      'builds are not keeping up or not running, so new articles are not published: check the FeedBuilderErrors ' +
        "alarm and the function's Throttles metric (the account's concurrency quota).",
    );
    this.watchLogLine(
      'FeedBuilderShrinkRefused',
      feeds.function.logGroup,
      logs.FilterPattern.stringValue('$.code', '=', 'ShrinkRefused'),
      {
        meaning:
          'The shrink guard refused a build: it would have removed most (or all) articles from the feeds, so nothing ' +
          'was written and readers still see the last good feeds.',
        advice:
          'find the log line with code = "ShrinkRefused" (it gives the counts and the reason); if articles were lost ' +
          'from the content bucket by mistake, restore them (it is versioned); if the removal is intended, invoke the ' +
          'feed builder once with {"allowShrink": true}.',
      },
    );
  }

  /**
   * The newsletter: the weekly preparer (failures, runs near its timeout), the senders (failures, parked batches, a
   * stalled send queue, a send stopped by the daily quota), the SES feedback handler and the subscriber API.
   */
  watchNewsletter(digest: DigestPreparer, newsletter: Newsletter): void {
    const preparer = digest.function.functionName;
    this.watchFunction('DigestPreparer', digest.function, {
      nearTimeout: true,
      advice:
        "this week's issue may not be prepared or planned: fix the cause, then invoke the function " +
        `${preparer} with {"time": "<the scheduled time, e.g. 2026-11-23T06:05:00Z>"} to prepare that week's issue ` +
        '(a retry is safe: an issue is prepared once), or with {"plan": "<issue id>"} if only the planning failed.',
    });
    const sender = newsletter.sender;
    this.watchFunction('DigestSender', sender.function, {
      advice:
        'a failed batch returns to the send queue and is retried; the ledger keeps anyone from getting an issue ' +
        'twice. Look for "digest batch failed" (SES refusing the identity or the configuration set, a missing issue ' +
        'copy in the digest state bucket, a DynamoDB outage).',
    });
    this.watchDeadLetters(
      'DigestSender',
      sender.deadLetters,
      'each message is a batch of up to 100 recipients who did not get the issue. Fix the cause (the ' +
        'DigestSenderErrors alarm, the sender log), then redrive the dead-letter queue to the send queue (SQS ' +
        'console: "Start DLQ redrive"); the ledger skips anyone already sent to. To drop the issue instead: npm run ' +
        'digest -- cancel <issue id>, then purge the dead-letter queue.',
    );
    this.watchQueueAge(
      'DigestSend',
      sender.queue,
      SEND_QUEUE_AGE_ALARM,
      'a batch has not been taken off the queue for over a day (a batch that waits for the quota or a pause is ' +
        "queued again and stays young). Check the sender: its event source mapping (enabled?), the function's " +
        'Errors and Throttles metrics, the DigestSenderErrors alarm. If digest.sending.ratePerSecond is low (the SES ' +
        'sandbox allows 1 a second), a large list legitimately takes longer: leave the sandbox and set ' +
        'sendRatePerSecond to the account rate.',
    );
    this.watchLogLine(
      'DigestSendQuotaExhausted',
      sender.function.logGroup,
      logs.FilterPattern.stringValue('$.code', '=', 'DailyQuotaExhausted'),
      {
        meaning:
          "SES's daily sending quota is spent: the digest stopped sending, and the remaining batches wait in the " +
          'send queue until the rolling 24-hour window allows more. Nothing is lost and no one gets an issue twice.',
        advice:
          'nothing, if a late delivery for the rest is acceptable. For lists larger than the quota, request a higher ' +
          'SES sending quota (Service Quotas, SES, "Sending quota"; the SES sandbox allows 200 a day) and set ' +
          'sendRatePerSecond to the new rate.',
      },
      // Logged each time waiting batches come back (every 15 minutes): an hour keeps the alarm on for the whole wait
      // instead of mailing ALARM and OK every quarter of an hour.
      Duration.hours(1),
    );
    const feedback = newsletter.feedback;
    this.watchFunction('MailFeedback', feedback.function, {
      advice:
        'a bounce or complaint was not applied, so that address may be mailed again: look for the error in the ' +
        'log; EventBridge and Lambda retry, then the event waits in the MailFeedback dead-letter queue.',
    });
    this.watchDeadLetters(
      'MailFeedback',
      feedback.deadLetters,
      'each message is an SES bounce, complaint, reject or delivery event that was not applied. Fix the cause (the ' +
        "MailFeedbackErrors alarm), then apply each by invoking the feedback function with the message's body (the " +
        'event as EventBridge delivered it), and delete it; a complaint not applied means that address is still mailed.',
    );
    this.watchFunction('SubscriberApi', newsletter.api.function, {
      advice:
        'sign-ups, confirmations, unsubscribes or preference changes failed with a 5xx answer (unsubscribing must ' +
        'work: it is the law). Look for the error in the log and in the API access log (status 5xx); the reader may ' +
        'try again, nothing is queued.',
    });
  }

  private add(
    id: string,
    props: {
      metric: cloudwatch.IMetric;
      threshold: number;
      comparisonOperator: cloudwatch.ComparisonOperator;
      description: string;
    },
  ): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmName: `${Stack.of(this).stackName}-${id}`,
      alarmDescription: props.description,
      metric: props.metric,
      threshold: props.threshold,
      comparisonOperator: props.comparisonOperator,
      evaluationPeriods: 1,
      // No invocations, no messages, no sending: nothing is wrong.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarms.push(alarm);
    return alarm;
  }
}
