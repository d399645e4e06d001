// The whole deployment: content bucket → feed builder (and, with a digest section, the digest preparer) → public site. Settings are passed down; constructs own their wiring.
import { type Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { parseSiteConfig } from '../functions/core/config.ts';
import { Alarms } from './alarms.ts';
import { addConcurrencyBudgetCheck } from './concurrency.ts';
import { ContentStore } from './content-store.ts';
import { deadLetterQueue } from './dead-letter-queue.ts';
import { DigestPreparer } from './digest-preparer.ts';
import { FeedBuilder } from './feed-builder.ts';
import { retainLogsOfEveryFunction } from './log-retention.ts';
import { type MailSettings, Newsletter } from './newsletter.ts';
import { PublicSite, type SiteDomain } from './public-site.ts';
import { stableOutput } from './stable-output.ts';

export interface NewsfeedsStackProps extends StackProps {
  siteConfig: unknown;
  contentPrefix: string;
  schedule: Duration;
  batchingWindow: Duration;
  cacheControl: string;
  /** The public site's own domain and certificate; absent: the distribution's *.cloudfront.net name. */
  domain?: SiteDomain;
  /** Where alarms are mailed; absent: the alarm topic has no subscriber until one is added by hand. */
  alarmEmail?: string;
  /** The digest's SES domain and DNS (only with a digest section): by default the domain of digest.from.address. */
  mail?: MailSettings;
  /** The account's Lambda concurrent executions quota; the event sources must fit into it (infra/concurrency.ts). Default 10. */
  accountConcurrency?: number;
}

export class NewsfeedsStack extends Stack {
  /** The alarm topic and its alarms: each construct's wiring adds its own (watchFunction, watchDeadLetters, …). */
  readonly alarms: Alarms;

  constructor(scope: Construct, id: string, props: NewsfeedsStackProps) {
    super(scope, id, props);
    retainLogsOfEveryFunction(this);
    this.alarms = new Alarms(this, 'Alarms', { email: props.alarmEmail });
    const siteSettings = parseSiteConfig(props.siteConfig, 'siteConfig');
    const site = new PublicSite(this, 'Site', {
      baseUrl: siteSettings.baseUrl,
      apiUrl: siteSettings.digest?.apiUrl,
      domain: props.domain,
    });
    const content = new ContentStore(this, 'Content', {
      prefix: props.contentPrefix,
      accessLogs: { bucket: site.logBucket, prefix: 's3/content/' },
    });
    const feeds = new FeedBuilder(this, 'FeedBuilder', {
      content,
      site,
      siteConfig: props.siteConfig,
      schedule: props.schedule,
      batchingWindow: props.batchingWindow,
      cacheControl: props.cacheControl,
    });
    this.alarms.watchFeedBuilder(feeds);
    const reputationAlarms = siteSettings.digest ? this.alarms.watchSesReputation() : [];
    if (parseSiteConfig(props.siteConfig, 'siteConfig').digest) {
      const digest = new DigestPreparer(this, 'Digest', {
        content,
        site,
        feeds,
        siteConfig: props.siteConfig,
        cacheControl: props.cacheControl,
      });
      const newsletter = new Newsletter(this, 'Newsletter', {
        siteConfig: props.siteConfig,
        site,
        sitePrefix: site.prefix,
        digest,
        ...(props.mail ? { mail: props.mail } : {}),
      });
      site.addApi(newsletter.api.httpApi);
      this.alarms.watchNewsletter(digest, newsletter);
      const parked = pauseSendingOn(this, reputationAlarms, digest);
      if (parked) {
        this.alarms.watchDeadLetters(
          'PauseSending',
          parked,
          "a reputation alarm could not pause sending: pause it by hand (npm run digest -- pause), then read the preparer's log and purge the queue",
        );
      }
    }
    addConcurrencyBudgetCheck(this, props.accountConcurrency);
    stableOutput(this, 'ContentUpload', {
      value: `s3://${content.bucket.bucketName}/${props.contentPrefix}`,
      description: 'Upload articles (*.md) here',
    });
    stableOutput(this, 'FeedBuilderFunctionName', {
      value: feeds.function.functionName,
      description: 'The feed builder: invoke with {} to rebuild now, {"allowShrink": true} past the shrink guard',
    });
  }
}

/**
 * A reputation alarm entering ALARM pauses the latest issue's sending: EventBridge's "CloudWatch Alarm State Change"
 * goes to the digest preparer (functions/handlers/prepare-digest.ts), which sets the control to paused.
 */
function pauseSendingOn(
  scope: Construct,
  alarms: readonly cloudwatch.Alarm[],
  digest: DigestPreparer,
): sqs.Queue | undefined {
  if (alarms.length === 0) return undefined;
  const parked = deadLetterQueue(scope, 'PauseSendingDeadLetters', 'alarm events', 'PauseSendingDeadLetters');
  Validations.of(parked).acknowledge({
    id: 'AwsSolutions::AwsSolutions-SQS3',
    reason:
      "It is a dead-letter queue: the EventBridge rule's target parks here the alarm events it could not deliver to the preparer (cdk-nag recognises only queue and Lambda dead-letter queues)",
  });
  new events.Rule(scope, 'PauseSendingOnReputation', {
    description: 'An SES reputation alarm entering ALARM pauses the latest issue’s sending',
    eventPattern: {
      source: ['aws.cloudwatch'],
      detailType: ['CloudWatch Alarm State Change'],
      resources: alarms.map((alarm) => alarm.alarmArn),
      detail: { state: { value: ['ALARM'] } },
    },
    targets: [new targets.LambdaFunction(digest.function, { retryAttempts: 3, deadLetterQueue: parked })],
  });
  return parked;
}
