// The alarms: one encrypted topic mailed to the operator, and for each thing that can break an alarm that says what
// it means and what to do, silent when there is no data.
import { readFileSync } from 'node:fs';
import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { Alarms, SEND_QUEUE_AGE_ALARM } from '../../infra/alarms.ts';
import { NewsfeedsStack } from '../../infra/stack.ts';
import { testApp } from '../support/cdk-app.ts';

const siteConfig = JSON.parse(readFileSync('site.config.json', 'utf8'));

function alarmsStack(email?: string) {
  const stack = new Stack(testApp(), 'Test');
  const alarms = new Alarms(stack, 'Alarms', email ? { email } : {});
  return { stack, alarms };
}

type Resource = { Properties: Record<string, unknown> };
const alarmsByName = (template: Template) =>
  Object.fromEntries(
    Object.values(template.findResources('AWS::CloudWatch::Alarm') as Record<string, Resource>).map((alarm) => [
      String(alarm.Properties.AlarmName).replace(/^Test-/, ''),
      alarm.Properties,
    ]),
  );

describe('the alarm topic', () => {
  it('mails the alarm email, encrypted with a key CloudWatch may use, over TLS only', () => {
    const { stack } = alarmsStack('ops@example.org');
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.org' });
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AlarmsTopicKey'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('has no subscription without an alarm email', () => {
    const { stack } = alarmsStack();
    Template.fromStack(stack).resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('the alarms', () => {
  const { stack, alarms } = alarmsStack();
  const fn = new lambda.Function(stack, 'Fn', {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => {}'),
    timeout: Duration.minutes(5),
  });
  const queue = new sqs.Queue(stack, 'Queue');
  alarms.watchFunction('Builder', fn, { nearTimeout: true });
  alarms.watchDeadLetters('Builder', queue, 'Purge it.');
  alarms.watchQueueAge('Builder', queue, Duration.minutes(15), 'Look at the builder.');
  alarms.watchLogLine('BuilderRefused', fn.logGroup, logs.FilterPattern.stringValue('$.code', '=', 'ShrinkRefused'), {
    meaning: 'Refused.',
    advice: 'Allow it.',
  });
  alarms.watchSesReputation();
  const template = Template.fromStack(stack);
  const byName = alarmsByName(template);

  it('alarms on errors, runs near the timeout, dead letters, a stalled queue, a log line and SES reputation', () => {
    expect(Object.keys(byName).sort()).toEqual([
      'BuilderDeadLetters',
      'BuilderErrors',
      'BuilderNearTimeout',
      'BuilderQueueAge',
      'BuilderRefused',
      'SesBounceRate',
      'SesComplaintRate',
    ]);
    expect(alarms.alarms).toHaveLength(7);
  });

  it('watches each metric with its threshold', () => {
    const summary = Object.fromEntries(
      Object.entries(byName).map(([name, p]) => [
        name,
        [p.Namespace, p.MetricName, p.Statistic, p.ComparisonOperator, p.Threshold],
      ]),
    );
    expect(summary).toEqual({
      BuilderErrors: ['AWS/Lambda', 'Errors', 'Sum', 'GreaterThanThreshold', 0],
      // 80% of the 5-minute timeout, in milliseconds.
      BuilderNearTimeout: ['AWS/Lambda', 'Duration', 'Maximum', 'GreaterThanOrEqualToThreshold', 240000],
      BuilderDeadLetters: ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'Maximum', 'GreaterThanThreshold', 0],
      BuilderQueueAge: ['AWS/SQS', 'ApproximateAgeOfOldestMessage', 'Maximum', 'GreaterThanThreshold', 900],
      BuilderRefused: ['Newsfeeds/Test', 'BuilderRefused', 'Sum', 'GreaterThanOrEqualToThreshold', 1],
      SesBounceRate: ['AWS/SES', 'Reputation.BounceRate', 'Maximum', 'GreaterThanOrEqualToThreshold', 0.04],
      SesComplaintRate: ['AWS/SES', 'Reputation.ComplaintRate', 'Maximum', 'GreaterThanOrEqualToThreshold', 0.0008],
    });
  });

  it('counts the log line with a metric filter on its JSON code', () => {
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ $.code = "ShrinkRefused" }',
      MetricTransformations: [{ MetricNamespace: 'Newsfeeds/Test', MetricName: 'BuilderRefused', MetricValue: '1' }],
    });
  });

  it('tells the topic when an alarm fires and when it clears, and treats no data as all well', () => {
    for (const alarm of Object.values(byName)) {
      expect(alarm).toMatchObject({
        AlarmActions: [{ Ref: expect.stringMatching(/^AlarmsTopic/) }],
        OKActions: [{ Ref: expect.stringMatching(/^AlarmsTopic/) }],
        TreatMissingData: 'notBreaching',
        EvaluationPeriods: 1,
      });
    }
  });

  it('says in each description what to do', () => {
    for (const [name, alarm] of Object.entries(byName)) {
      // A description naming a log group or queue is a Fn::Join.
      expect(JSON.stringify(alarm.AlarmDescription), name).toMatch(/What to do: /);
    }
    expect(byName.SesBounceRate?.AlarmDescription).toContain('SES reviews the account at 5%');
    expect(byName.SesComplaintRate?.AlarmDescription).toContain('SES reviews the account at 0.1%');
  });
});

describe('the stack’s alarms', () => {
  const stack = new NewsfeedsStack(testApp(), 'Test', {
    siteConfig,
    contentPrefix: 'articles/',
    schedule: Duration.minutes(5),
    batchingWindow: Duration.seconds(30),
    cacheControl: 'public, max-age=300',
    alarmEmail: 'ops@example.org',
  });
  const template = Template.fromStack(stack);
  const byName = alarmsByName(template);

  it('watch the feed builder and, with a digest, the SES reputation', () => {
    expect(Object.keys(byName)).toEqual(
      expect.arrayContaining([
        'FeedBuilderErrors',
        'FeedBuilderNearTimeout',
        'FeedBuilderDeadLetters',
        'FeedBuilderQueueAge',
        'FeedBuilderShrinkRefused',
        'SesBounceRate',
        'SesComplaintRate',
      ]),
    );
    expect(stack.alarms.alarms.length).toBe(Object.keys(byName).length);
  });

  it('watch the builder’s own queues, function and log group', () => {
    expect(byName.FeedBuilderDeadLetters?.Dimensions).toEqual([
      { Name: 'QueueName', Value: { 'Fn::GetAtt': [expect.stringMatching(/^FeedBuilderDeadLetters/), 'QueueName'] } },
    ]);
    expect(byName.FeedBuilderQueueAge?.Dimensions).toEqual([
      { Name: 'QueueName', Value: { 'Fn::GetAtt': [expect.stringMatching(/^FeedBuilderTriggers/), 'QueueName'] } },
    ]);
    expect(byName.FeedBuilderErrors?.Dimensions).toEqual([
      { Name: 'FunctionName', Value: { Ref: expect.stringMatching(/^FeedBuilderFunction/) } },
    ]);
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: Match.stringLikeRegexp('^FeedBuilderFunctionLogs') },
      FilterPattern: '{ $.code = "ShrinkRefused" }',
    });
  });

  it('watch the newsletter: preparer, senders, send queue, daily quota, feedback and subscriber API', () => {
    expect(Object.keys(byName)).toEqual(
      expect.arrayContaining([
        'DigestPreparerErrors',
        'DigestPreparerNearTimeout',
        'DigestSenderErrors',
        'DigestSenderDeadLetters',
        'DigestSendQueueAge',
        'DigestSendQuotaExhausted',
        'MailFeedbackErrors',
        'MailFeedbackDeadLetters',
        'SubscriberApiErrors',
      ]),
    );
    const dimension = (name: string) => byName[name]?.Dimensions;
    const fn = (prefix: RegExp) => [{ Name: 'FunctionName', Value: { Ref: expect.stringMatching(prefix) } }];
    const queue = (prefix: RegExp) => [
      { Name: 'QueueName', Value: { 'Fn::GetAtt': [expect.stringMatching(prefix), 'QueueName'] } },
    ];
    expect(dimension('DigestPreparerErrors')).toEqual(fn(/^DigestFunction/));
    expect(dimension('DigestSenderErrors')).toEqual(fn(/^NewsletterSenderFunction/));
    expect(dimension('MailFeedbackErrors')).toEqual(fn(/^NewsletterFeedbackFunction/));
    expect(dimension('SubscriberApiErrors')).toEqual(fn(/^NewsletterApiFunction/));
    expect(dimension('DigestSenderDeadLetters')).toEqual(queue(/^NewsletterSenderDeadLetters/));
    expect(dimension('MailFeedbackDeadLetters')).toEqual(queue(/^NewsletterFeedbackDeadLetters/));
    expect(dimension('DigestSendQueueAge')).toEqual(queue(/^NewsletterSenderQueue/));
  });

  it('give the preparer 80% of its 15 minutes and a send a day before the queue counts as stalled', () => {
    // 80% of 900 s, in milliseconds.
    expect(byName.DigestPreparerNearTimeout?.Threshold).toBe(720000);
    expect(SEND_QUEUE_AGE_ALARM.toHours()).toBe(25);
    expect(byName.DigestSendQueueAge).toMatchObject({
      MetricName: 'ApproximateAgeOfOldestMessage',
      Statistic: 'Maximum',
      Threshold: 25 * 3600,
    });
  });

  it('count the sender’s DailyQuotaExhausted log line, the code it logs when SES’s daily quota is spent', () => {
    // The field and value functions/handlers/send-digest.ts writes.
    expect(readFileSync('functions/handlers/send-digest.ts', 'utf8')).toContain("{ code: 'DailyQuotaExhausted' }");
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: Match.stringLikeRegexp('^NewsletterSenderFunctionLogs') },
      FilterPattern: '{ $.code = "DailyQuotaExhausted" }',
      MetricTransformations: [
        { MetricNamespace: 'Newsfeeds/Test', MetricName: 'DigestSendQuotaExhausted', MetricValue: '1' },
      ],
    });
    // Counted per hour: the waiting batches come back (and log it) every 15 minutes, so the alarm stays on.
    expect(byName.DigestSendQuotaExhausted).toMatchObject({
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      Period: 3600,
    });
  });

  it('say in each description what the alarm means and what to do', () => {
    for (const [name, alarm] of Object.entries(byName)) {
      expect(JSON.stringify(alarm.AlarmDescription), name).toMatch(/What to do: \S/);
    }
    expect(JSON.stringify(byName.DigestSenderDeadLetters?.AlarmDescription)).toContain('Start DLQ redrive');
    expect(JSON.stringify(byName.DigestSendQuotaExhausted?.AlarmDescription)).toContain('sending quota');
  });

  it('go to the alarm email', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.org' });
  });
});
