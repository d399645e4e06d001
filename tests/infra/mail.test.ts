// The digest's subscribers and mail in the CDK app (infra/newsletter.ts and its constructs): what the synthesized
// template holds, the concurrency arithmetic, least-privilege IAM per function, and the bundled API, sender and SES
// feedback functions run as Lambda would run them, against the stand-ins (and a Secrets Manager stand-in for the keyring).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { ENV } from '../../functions/env.ts';
import { DynamoSubscriberStore } from '../../functions/subscribers/dynamo-store.ts';
import { isSuppressed } from '../../functions/subscribers/lifecycle.ts';
import { NEW_ACCOUNT_CONCURRENCY, ROOM_FOR_DIRECT_INVOCATIONS } from '../../infra/concurrency.ts';
import { SENDER_TIMEOUT, senderBatchSize } from '../../infra/digest-sender.ts';
import { NewsfeedsStack } from '../../infra/stack.ts';
import { newBucket, testS3Client } from '../stand-ins/s3.ts';
import { sentMail } from '../stand-ins/ses.ts';
import { testApp } from '../support/cdk-app.ts';
import { newSubscriberTable, testDocumentClient } from '../support/dynamo.ts';
import { type RunningSecrets, startSecrets } from '../support/secrets.ts';
import { preparedIssueToSend } from '../support/sending-fixture.ts';

const siteConfig = JSON.parse(readFileSync('site.config.json', 'utf8'));
const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

type StackProps = ConstructorParameters<typeof NewsfeedsStack>[2];

function synth(overrides: Partial<StackProps> = {}) {
  const outdir = mkdtempSync(join(tmpdir(), 'newsfeeds-cdk-mail-'));
  outdirs.push(outdir);
  const app = testApp({ outdir });
  const stack = new NewsfeedsStack(app, 'Test', {
    siteConfig,
    contentPrefix: 'articles/',
    schedule: Duration.minutes(5),
    batchingWindow: Duration.seconds(30),
    cacheControl: 'public, max-age=300',
    ...overrides,
  });
  return { app, template: Template.fromStack(stack) };
}

const withSending = (sending: Record<string, unknown>) => ({
  ...siteConfig,
  digest: { ...siteConfig.digest, sending },
});

/** The one resource of `type` whose logical id starts with `prefix`. */
function resource(template: Template, type: string, prefix: string) {
  const found = Object.entries(template.findResources(type)).filter(([id]) => id.startsWith(prefix));
  expect(found.map(([id]) => id)).toHaveLength(1);
  return found[0]?.[1] as ReturnType<Template['findResources']>[string];
}

/** Every IAM action granted to a function's role, in order, as the policies attached to that role list them. */
function actionsOf(template: Template, functionPrefix: string): string[] {
  const fn = resource(template, 'AWS::Lambda::Function', functionPrefix);
  const role = fn.Properties.Role['Fn::GetAtt'][0] as string;
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
    policy.Properties.Roles.some((r: { Ref: string }) => r.Ref === role),
  );
  return policies.flatMap((policy) =>
    policy.Properties.PolicyDocument.Statement.flatMap((s: { Action: string | string[] }) =>
      Array.isArray(s.Action) ? s.Action : [s.Action],
    ),
  );
}

/** What every function may do with its own log group (infra/handler-function.ts): no managed policy. */
const OWN_LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];

const SQS_CONSUME = [
  'sqs:ChangeMessageVisibility',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
  'sqs:GetQueueUrl',
  'sqs:ReceiveMessage',
];

describe('the newsletter in the CDK app', () => {
  const { app, template } = synth();

  describe('tables', () => {
    it('keeps subscribers on demand, recoverable to any second, protected from deletion and kept with the stack', () => {
      const table = resource(template, 'AWS::DynamoDB::Table', 'NewsletterTablesSubscribers');
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        // The rate-limit counters' expiry (functions/subscribers/dynamo-store.ts TTL_ATTRIBUTE).
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'confirmed',
            KeySchema: [
              { AttributeName: 'sendShard', KeyType: 'HASH' },
              { AttributeName: 'address', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      });
    });

    it('keeps the send ledger on demand, recoverable, with its entries expiring', () => {
      const table = resource(template, 'AWS::DynamoDB::Table', 'NewsletterTablesLedger');
      expect(table.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        KeySchema: [
          { AttributeName: 'issue', KeyType: 'HASH' },
          { AttributeName: 'recipient', KeyType: 'RANGE' },
        ],
      });
    });
  });

  describe('the send queue and the sender', () => {
    const sender = () => resource(template, 'AWS::Lambda::Function', 'NewsletterSenderFunction');
    const queue = () => resource(template, 'AWS::SQS::Queue', 'NewsletterSenderQueue');
    const mapping = () =>
      Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).find(
        (m) =>
          m.Properties.FunctionName.Ref ===
          Object.keys(template.findResources('AWS::Lambda::Function')).find((id) =>
            id.startsWith('NewsletterSenderFunction'),
          ),
      );

    it('encrypts the queue and its dead-letter queue with SQS-managed keys and refuses plain HTTP', () => {
      for (const prefix of ['NewsletterSenderQueue', 'NewsletterSenderDeadLetters']) {
        expect(resource(template, 'AWS::SQS::Queue', prefix).Properties).toMatchObject({
          SqsManagedSseEnabled: true,
          MessageRetentionPeriod: 14 * 24 * 3600,
        });
        const policy = Object.values(template.findResources('AWS::SQS::QueuePolicy')).find((p) =>
          p.Properties.Queues.some((q: { Ref: string }) => q.Ref.startsWith(prefix)),
        );
        expect(policy?.Properties.PolicyDocument.Statement).toContainEqual(
          expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        );
      }
    });

    it('parks a batch in the dead-letter queue after 50 failed receives (about three days of failing)', () => {
      expect(queue().Properties.RedrivePolicy).toEqual({
        deadLetterTargetArn: { 'Fn::GetAtt': [expect.stringMatching(/^NewsletterSenderDeadLetters/), 'Arn'] },
        maxReceiveCount: 50,
      });
    });

    it('hides a received batch for six function timeouts', () => {
      expect(sender().Properties.Timeout).toBe(SENDER_TIMEOUT.toSeconds());
      expect(queue().Properties.VisibilityTimeout).toBe(6 * sender().Properties.Timeout);
    });

    it('runs at most digest.sending.maxConcurrency senders, reporting failed batches alone, without a window', () => {
      expect(mapping()?.Properties).toMatchObject({
        ScalingConfig: { MaximumConcurrency: 2 },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BatchSize: 10,
      });
      expect(mapping()?.Properties.MaximumBatchingWindowInSeconds).toBeUndefined();
    });

    it('takes as many batches per invocation as fit into half the timeout at its share of the rate', () => {
      // 14/s × 90% ÷ 2 senders = 6.3/s: 450 s hold 28 batches of 100, capped at SQS's 10.
      expect(senderBatchSize({ ratePerSecond: 14, maxConcurrency: 2 })).toBe(10);
      // The sandbox's 1/s: 0.45/s per sender, 2 batches of 100 in 450 s.
      expect(senderBatchSize({ ratePerSecond: 1, maxConcurrency: 2 })).toBe(2);
      expect(() => senderBatchSize({ ratePerSecond: 1, maxConcurrency: 8 })).toThrow(/lower maxConcurrency/);
    });

    it('follows digest.sending.maxConcurrency', () => {
      const { template } = synth({ siteConfig: withSending({ maxConcurrency: 3 }) });
      const maxima = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).map(
        (m) => m.Properties.ScalingConfig.MaximumConcurrency,
      );
      expect(maxima.sort()).toEqual([2, 3]);
    });
  });

  describe('concurrency', () => {
    const room = Object.values(ROOM_FOR_DIRECT_INVOCATIONS).reduce((a, b) => a + b, 0);

    it('leaves room for the subscriber API, the feedback and the preparer within a new account’s 10', () => {
      const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'));
      const maxima = mappings.map((m) => m.Properties.ScalingConfig?.MaximumConcurrency as number);
      // The feed builder's 2 and the sender's 2: every event source is bounded.
      expect(maxima.sort()).toEqual([2, 2]);
      expect(ROOM_FOR_DIRECT_INVOCATIONS.subscriberApi).toBeGreaterThanOrEqual(3);
      expect(maxima.reduce((a, b) => a + b, 0) + room).toBeLessThanOrEqual(NEW_ACCOUNT_CONCURRENCY);
    });

    it('refuses to synthesize senders that would take the API’s room, naming the settings to change', () => {
      expect(() => synth({ siteConfig: withSending({ maxConcurrency: 4 }) })).toThrow(
        /digest\.sending\.maxConcurrency.*Concurrent executions.*accountConcurrency/s,
      );
    });

    it('allows more senders once the account’s quota is raised and said', () => {
      const { template } = synth({
        siteConfig: withSending({ ratePerSecond: 100, maxConcurrency: 8 }),
        accountConcurrency: 50,
      });
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: { MaximumConcurrency: 8 } });
    });

    it('reserves concurrency for no function', () => {
      for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
        expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
      }
    });
  });

  describe('IAM: each function may do what its code does, and no more', () => {
    const secretRead = 'secretsmanager:GetSecretValue';

    it('the sender: read recipients, keep the ledger, read the issue, send raw mail, read the keyring, consume', () => {
      const actions = actionsOf(template, 'NewsletterSenderFunction');
      expect(new Set(actions).size).toBe(actions.length);
      expect([...actions].sort()).toEqual(
        [
          'dynamodb:BatchGetItem',
          'dynamodb:DeleteItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          's3:GetObject',
          's3:ListBucket',
          'ses:SendRawEmail',
          secretRead,
          ...SQS_CONSUME,
          // A waiting batch queued again (its own queue only).
          'sqs:SendMessage',
          ...OWN_LOGS,
        ].sort(),
      );
    });

    it('the subscriber API: read, save and count subscribers, read topics.json, send raw mail, read the keyring', () => {
      const actions = actionsOf(template, 'NewsletterApiFunction');
      expect([...actions].sort()).toEqual(
        [
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          's3:GetObject',
          'ses:SendRawEmail',
          secretRead,
          ...OWN_LOGS,
        ].sort(),
      );
    });

    it('the feedback handler: read and save a subscriber, read the keyring, park a failed event', () => {
      expect(actionsOf(template, 'NewsletterFeedbackFunction').sort()).toEqual(
        ['dynamodb:GetItem', 'dynamodb:PutItem', secretRead, 'sqs:SendMessage', ...OWN_LOGS].sort(),
      );
    });

    it('the preparer: query confirmed subscribers, queue batches, read the send quota; never the keyring', () => {
      const actions = actionsOf(template, 'DigestFunction');
      // Its bucket grants are the DigestPreparer's own (infra/digest-preparer.ts); these are what sending adds.
      // (Its lease's item actions on the lock table are the DigestPreparer's too: tests/infra/iam.test.ts.)
      const lease = ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];
      const added = actions.filter((a) => !a.startsWith('s3:') && !a.startsWith('logs:') && !lease.includes(a));
      expect(added.sort()).toEqual(['dynamodb:Query', 'ses:GetSendQuota', 'sqs:SendMessage']);
      expect(actions).not.toContain(secretRead);
    });

    it('limits item actions to the tables, queries to the confirmed index, and sending to the domain and set', () => {
      const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
        (p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
      );
      const resourcesOf = (action: string) =>
        JSON.stringify(statements.filter((s) => [s.Action].flat().includes(action)).map((s) => s.Resource));
      expect(resourcesOf('dynamodb:Query')).toContain('/index/confirmed');
      expect(resourcesOf('dynamodb:BatchGetItem')).not.toContain('/index/');
      expect(resourcesOf('ses:SendRawEmail')).toContain(':identity/');
      expect(resourcesOf('ses:SendRawEmail')).toContain(':configuration-set/');
      expect(resourcesOf('ses:SendRawEmail')).not.toContain('"*"');
      expect(resourcesOf(secretRead)).toMatch(/^\[\{"Ref":"NewsletterTokenKeyringSecret[0-9A-F]+"\}/);
    });

    it('lets exactly the API, the sender and the feedback handler read the keyring', () => {
      const readers = ['NewsletterApiFunction', 'NewsletterSenderFunction', 'NewsletterFeedbackFunction'];
      const functions = Object.keys(template.findResources('AWS::Lambda::Function'));
      for (const id of functions) {
        const prefix = readers.find((r) => id.startsWith(r));
        const env = template.findResources('AWS::Lambda::Function')[id]?.Properties.Environment?.Variables ?? {};
        if (prefix) {
          expect(actionsOf(template, prefix)).toContain(secretRead);
          expect(env[ENV.signingKeysSecretArn]).toEqual({
            Ref: expect.stringMatching(/^NewsletterTokenKeyringSecret/),
          });
        } else {
          expect(env[ENV.signingKeysSecretArn]).toBeUndefined();
        }
      }
    });
  });

  describe('the token keyring', () => {
    it('is generated by Secrets Manager in the format the functions read, and kept with the stack', () => {
      const secret = resource(template, 'AWS::SecretsManager::Secret', 'NewsletterTokenKeyringSecret');
      expect(secret.DeletionPolicy).toBe('Retain');
      expect(secret.Properties.SecretString).toBeUndefined();
      expect(secret.Properties.GenerateSecretString).toEqual({
        SecretStringTemplate: '{"current":"k1"}',
        GenerateStringKey: 'seed',
        ExcludePunctuation: true,
        IncludeSpace: false,
        PasswordLength: 64,
      });
    });

    it('appears nowhere in the template: no key, no keyring, no SIGNING_KEYS setting', () => {
      const json = JSON.stringify(template.toJSON());
      expect(json).not.toContain(`"${ENV.signingKeys}"`);
      for (const marker of ['"keys"', 'hashKey', '\\"seed\\":']) expect(json).not.toContain(marker);
      // Nothing that looks like a generated key: a long run of base64url that is neither a hex asset hash nor a
      // construct's name (logical ids, and the names CDK derives from them, end in an 8-character hex hash).
      const candidates = json.match(/[A-Za-z0-9_-]{40,}/g) ?? [];
      expect(candidates.filter((s) => !/^[0-9a-f]+$/.test(s) && !/^[A-Za-z0-9]+[0-9A-F]{8}$/.test(s))).toEqual([]);
    });
  });

  describe('SES', () => {
    it('verifies the domain of digest.from with Easy DKIM and a MAIL FROM subdomain, through the configuration set', () => {
      template.hasResourceProperties('AWS::SES::EmailIdentity', {
        EmailIdentity: 'news.example.com',
        DkimSigningAttributes: { NextSigningKeyLength: 'RSA_2048_BIT' },
        MailFromAttributes: { MailFromDomain: 'mail.news.example.com' },
        ConfigurationSetAttributes: {
          ConfigurationSetName: { Ref: Match.stringLikeRegexp('^NewsletterMailConfigurationSet') },
        },
      });
      template.hasResourceProperties('AWS::SES::ConfigurationSet', {
        ReputationOptions: { ReputationMetricsEnabled: true },
        SuppressionOptions: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
      });
    });

    it('names the configuration set after digest.sending.configurationSet when set', () => {
      const { template } = synth({ siteConfig: withSending({ configurationSet: 'weekly-digest' }) });
      template.hasResourceProperties('AWS::SES::ConfigurationSet', { Name: 'weekly-digest' });
    });

    it('publishes bounce, complaint, reject and delivery events to the default bus, where a rule runs the handler', () => {
      template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
        EventDestination: {
          Enabled: true,
          MatchingEventTypes: ['bounce', 'complaint', 'reject', 'delivery'],
          EventBridgeDestination: { EventBusArn: Match.objectLike({}) },
        },
      });
      const rule = Object.values(template.findResources('AWS::Events::Rule')).find(
        (r) => r.Properties.EventPattern?.source?.[0] === 'aws.ses',
      );
      expect(rule?.Properties.EventPattern).toEqual({
        source: ['aws.ses'],
        'detail-type': ['Email Bounced', 'Email Complaint Received', 'Email Rejected', 'Email Delivered'],
        detail: {
          mail: {
            tags: { 'ses:configuration-set': [{ Ref: expect.stringMatching(/^NewsletterMailConfigurationSet/) }] },
          },
        },
      });
      expect(rule?.Properties.Targets).toEqual([
        expect.objectContaining({
          Arn: { 'Fn::GetAtt': [expect.stringMatching(/^NewsletterFeedbackFunction/), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [expect.stringMatching(/^NewsletterFeedbackDeadLetters/), 'Arn'] } },
          RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 8 },
        }),
      ]);
    });

    it('lists the DNS records to add as outputs with stable names', () => {
      const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
      for (const id of ['MailDnsDkim1', 'MailDnsDkim2', 'MailDnsDkim3']) {
        expect(JSON.stringify(outputs[id]?.Value)).toContain('DkimDNSTokenName');
        expect(JSON.stringify(outputs[id]?.Value)).toContain(' CNAME ');
      }
      expect(JSON.stringify(outputs.MailDnsMailFromMx?.Value)).toMatch(
        /mail\.news\.example\.com MX 10 feedback-smtp\./,
      );
      expect(outputs.MailDnsMailFromSpf?.Value).toBe('mail.news.example.com TXT "v=spf1 include:amazonses.com ~all"');
      expect(outputs.MailDnsDmarc?.Value).toBe('_dmarc.news.example.com TXT "v=DMARC1; p=none"');
      template.resourceCountIs('AWS::Route53::RecordSet', 0);
    });

    it('creates the records in Route 53 when a hosted zone is given', () => {
      const { template } = synth({ mail: { hostedZone: { id: 'Z0123456789ABC', name: 'example.com' } } });
      const records = Object.values(template.findResources('AWS::Route53::RecordSet')).map((r) => r.Properties);
      expect(records.map((r) => r.Type).sort()).toEqual(['CNAME', 'CNAME', 'CNAME', 'MX', 'TXT', 'TXT']);
      expect(records.every((r) => r.HostedZoneId === 'Z0123456789ABC')).toBe(true);
      expect(records).toContainEqual(
        expect.objectContaining({
          Name: '_dmarc.news.example.com.',
          Type: 'TXT',
          ResourceRecords: ['"v=DMARC1; p=none"'],
        }),
      );
    });

    it('refuses a mail domain that does not cover digest.from', () => {
      expect(() => synth({ mail: { domain: 'other.example.org' } })).toThrow(/does not cover digest\.from\.address/);
    });
  });

  describe('the subscriber API', () => {
    it('routes every method under /api/ to the function, throttled at its stage, with access logs kept a month', () => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'ANY /api/{proxy+}' });
      template.resourceCountIs('AWS::ApiGatewayV2::Route', 1);
      const stage = resource(template, 'AWS::ApiGatewayV2::Stage', 'NewsletterApiDefaultStage');
      expect(stage.Properties).toMatchObject({
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
        AccessLogSettings: {
          DestinationArn: { 'Fn::GetAtt': [expect.stringMatching(/^NewsletterApiAccessLogs/), 'Arn'] },
        },
      });
      // What happened, not who: no client IP, no query string (tokens).
      expect(stage.Properties.AccessLogSettings.Format).not.toMatch(/sourceIp|querystring|rawQueryString/i);
      expect(resource(template, 'AWS::Logs::LogGroup', 'NewsletterApiAccessLogs').Properties.RetentionInDays).toBe(30);
    });

    it('is served by the site at /api/*', () => {
      const distribution = Object.values(template.findResources('AWS::CloudFront::Distribution'))[0];
      const behaviors = distribution?.Properties.DistributionConfig.CacheBehaviors as { PathPattern: string }[];
      expect(behaviors.map((b) => b.PathPattern)).toContain('/api/*');
    });
  });

  it('keeps every log group for a limited time', () => {
    for (const group of Object.values(template.findResources('AWS::Logs::LogGroup'))) {
      expect(group.Properties.RetentionInDays).toBeGreaterThan(0);
    }
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
      // This app's functions (handlerFunction), not CDK's own custom-resource handlers.
      if (!fn.Properties.Environment?.Variables?.NODE_OPTIONS) continue;
      expect(fn.Properties.LoggingConfig?.LogGroup).toBeDefined();
    }
  });

  it('names the outputs an operator needs with stable ids', () => {
    const outputs = Object.keys(template.toJSON().Outputs);
    expect(outputs).toEqual(
      expect.arrayContaining([
        'SubscribeEndpoint',
        'SubscriberApiEndpoint',
        'SendQueueName',
        'SendDeadLetterQueueName',
        'SubscriberTableName',
        'LedgerTableName',
        'TokenKeyringSecretArn',
        'DigestPreparerFunctionName',
        'SenderFunctionName',
        'FeedbackFunctionName',
        'SubscriberApiFunctionName',
      ]),
    );
    expect(template.toJSON().Outputs.SubscribeEndpoint.Value).toBe('https://news.example.com/api/subscribe');
  });

  it('is left out without a digest section', () => {
    const { digest: _, ...withoutDigest } = siteConfig;
    const { template } = synth({ siteConfig: withoutDigest });
    template.resourceCountIs('AWS::SES::EmailIdentity', 0);
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 0);
  });

  describe('bundled functions, run as Lambda runs them', () => {
    const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:TokenKeyring-AbCdEf';
    // What Secrets Manager generates for the template above.
    const KEYRING = JSON.stringify({
      current: 'k1',
      seed: 'Zx8m2QpLr7VwK3nYt5HbJc9UfAe4Gd6Ss1Ok0Pi2Lu7Mj3Nh8Bg5Vy4Ct6Rx9Wq1E',
    });
    let secrets: RunningSecrets;
    beforeAll(async () => {
      secrets = await startSecrets({ [ARN]: KEYRING });
    });
    afterAll(() => secrets.stop());

    it('the subscriber API signs someone up and sends the confirmation, with the keyring from Secrets Manager', async () => {
      const assetDir = assetDirOf(app.synth().directory, template, 'NewsletterApiFunction');
      const documents = testDocumentClient();
      const table = await newSubscriberTable(documents);
      const site = await newBucket(testS3Client(), 'site');
      const address = `bundle-${Date.now()}@example.com`;
      const response = (await runBundle(
        assetDir,
        {
          [ENV.subscriberTable]: table,
          [ENV.siteBucket]: site,
          [ENV.sitePrefix]: 'feeds/',
          [ENV.signingKeysSecretArn]: ARN,
          AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
        },
        httpEvent('POST', '/api/subscribe', JSON.stringify({ email: address })),
      )) as { statusCode: number };
      expect(response.statusCode).toBeLessThan(300);
      const mails = (await sentMail(inject('sesEndpoint'))).filter((m) => m.destination.to.includes(address));
      expect(mails).toHaveLength(1);
      expect(mails[0]?.body.text).toContain('https://news.example.com/api/confirm?token=k1.');
      expect(await new DynamoSubscriberStore(documents, table).get(address)).toMatchObject({ status: 'pending' });
      expect(secrets.reads.get(ARN)).toBeGreaterThanOrEqual(1);
    });

    it('the sender sends a planned batch through SES and reports no failure', async () => {
      const assetDir = assetDirOf(app.synth().directory, template, 'NewsletterSenderFunction');
      const { state, subscribers, ledger, addresses } = await preparedIssueToSend({
        title: 'Bundled sender story',
        label: 'bundled',
      });
      const result = await runBundle(
        assetDir,
        {
          [ENV.subscriberTable]: subscribers,
          [ENV.ledgerTable]: ledger,
          [ENV.digestStateBucket]: state,
          [ENV.signingKeysSecretArn]: ARN,
          AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
        },
        { Records: [{ messageId: 'm1', body: JSON.stringify({ issueId: '2026-W48', recipients: addresses }) }] },
      );
      expect(result).toEqual({ batchItemFailures: [] });
      for (const address of addresses) {
        const mails = (await sentMail(inject('sesEndpoint'))).filter((m) => m.destination.to.includes(address));
        expect(mails).toHaveLength(1);
        expect(mails[0]?.body.text).toContain('Bundled sender story');
      }
    });

    it('the feedback handler suppresses a hard-bounced subscriber from an EventBridge SES event', async () => {
      const assetDir = assetDirOf(app.synth().directory, template, 'NewsletterFeedbackFunction');
      const documents = testDocumentClient();
      const table = await newSubscriberTable(documents);
      const store = new DynamoSubscriberStore(documents, table);
      const address = `bounced-${Date.now()}@example.com`;
      await confirmedSubscriber(store, address);
      // SES's own sample of a bounce as the rule delivers it, addressed to this subscriber.
      const sample = readFileSync('tests/subscribers/fixtures/ses-events/eventbridge-bounce.json', 'utf8');
      const event = JSON.parse(sample.replaceAll('recipient@example.com', address));
      const result = await runBundle(
        assetDir,
        {
          [ENV.subscriberTable]: table,
          [ENV.signingKeysSecretArn]: ARN,
          AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
        },
        event,
      );
      expect(result).toMatchObject({ items: 1, suppressed: 1 });
      expect(isSuppressed((await store.get(address))?.status)).toBe(true);
    });
  });
});

/** A saved, confirmed subscriber (as the API would leave one after the confirmation link). */
async function confirmedSubscriber(store: DynamoSubscriberStore, address: string): Promise<void> {
  const at = new Date('2026-11-20T00:00:00Z');
  await store.save(
    {
      address,
      status: 'confirmed',
      topics: [],
      consent: { at, source: 'form' },
      createdAt: at,
      updatedAt: at,
      softBounces: 0,
      version: 1,
    },
    undefined,
  );
}

/** The folder of a function's code asset in a synthesized cloud assembly (found by its zip's hash). */
function assetDirOf(directory: string, template: Template, functionPrefix: string): string {
  const fn = resource(template, 'AWS::Lambda::Function', functionPrefix);
  const zip = (fn.Properties.Code.S3Key as string | undefined) ?? '';
  return join(directory, `asset.${zip.replace(/\.zip$/, '')}`);
}

/** An API Gateway HTTP API (payload 2.0) event, as the $default stage passes it through CloudFront. */
function httpEvent(method: string, path: string, body: string) {
  return {
    version: '2.0',
    routeKey: 'ANY /api/{proxy+}',
    rawPath: path,
    rawQueryString: '',
    headers: { host: 'news.example.com', 'content-type': 'application/json', 'user-agent': 'Mozilla/5.0 (test)' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'news.example.com',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.50', userAgent: 'Mozilla/5.0 (test)' },
      requestId: 'r1',
      routeKey: 'ANY /api/{proxy+}',
      stage: '$default',
      time: '24/Nov/2026:12:00:00 +0000',
      timeEpoch: 1795521600000,
    },
    body,
    isBase64Encoded: false,
  };
}

/**
 * Loads a bundled handler the way Lambda would (CommonJS, its own copy of everything), with the stand-ins' endpoints,
 * fake credentials, the deployed site configuration and `env` in the environment, and runs it on `event`.
 */
async function runBundle(assetDir: string, env: Record<string, string>, event: unknown): Promise<unknown> {
  const stubs = {
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_S3: inject('s3Endpoint'),
    AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
    AWS_ENDPOINT_URL_SES: inject('sesEndpoint'),
    [ENV.siteConfig]: JSON.stringify(siteConfig),
    ...env,
  };
  for (const [name, value] of Object.entries(stubs)) vi.stubEnv(name, value);
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    const bundle = createRequire(import.meta.url)(join(assetDir, 'index.js')) as {
      handler: (event: unknown, context?: unknown) => Promise<unknown>;
    };
    return await bundle.handler(event, {});
  } finally {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  }
}
