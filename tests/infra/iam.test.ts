// Least privilege per function, read off the synthesized template: each function's role has its own log group and
// exactly the actions its code performs, each once, on the narrowest resources (object keys under the prefix the
// function works in). The newsletter functions' lists are in tests/infra/mail.test.ts.
import { readFileSync } from 'node:fs';
import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { DIGEST_STATE_PREFIX } from '../../infra/digest-preparer.ts';
import { FEED_BUILDER_STATE_PREFIX } from '../../infra/feed-builder.ts';
import { NewsfeedsStack } from '../../infra/stack.ts';
import { testApp } from '../support/cdk-app.ts';

const siteConfig = JSON.parse(readFileSync('site.config.json', 'utf8'));
const stack = new NewsfeedsStack(testApp(), 'Test', {
  siteConfig,
  contentPrefix: 'articles/',
  schedule: Duration.minutes(5),
  batchingWindow: Duration.seconds(30),
  cacheControl: 'public, max-age=300',
});
const template = Template.fromStack(stack);
/** A template resource as the assertions module types it (its properties are any JSON). */
type Resource = ReturnType<Template['findResources']>[string];
const resources = template.toJSON().Resources as Record<string, Resource>;

/** This app's functions (handlerFunction sets NODE_OPTIONS), not CDK's own deploy-time handlers. */
const functions = Object.entries(resources).filter(
  ([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.NODE_OPTIONS,
);

/** Every statement of the policies attached to a function's role, with its actions as a list. */
function statementsOf(functionId: string): { Action: string[]; Resource: unknown[] }[] {
  const role = resources[functionId]?.Properties.Role['Fn::GetAtt'][0] as string;
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((ref: { Ref: string }) => ref.Ref === role))
    .flatMap((r) => r.Properties.PolicyDocument.Statement)
    .map((s: { Action: string | string[]; Resource: unknown }) => ({
      Action: [s.Action].flat(),
      Resource: [s.Resource].flat(),
    }));
}

const idOf = (prefix: string) => functions.find(([id]) => id.startsWith(prefix))?.[0] ?? '';

/** `action` → the resources it is granted on, each rendered as `Logical.Arn` or `Logical.Arn/suffix`. */
function grantsOf(functionId: string): Record<string, string[]> {
  const render = (resource: unknown): string => {
    const r = resource as { 'Fn::GetAtt'?: [string, string]; 'Fn::Join'?: [string, unknown[]]; Ref?: string };
    if (r['Fn::GetAtt']) return `${r['Fn::GetAtt'][0].replace(/[0-9A-F]{8}$/, '')}.${r['Fn::GetAtt'][1]}`;
    if (r['Fn::Join']) return r['Fn::Join'][1].map(render).join('');
    if (r.Ref) return r.Ref.replace(/[0-9A-F]{8}$/, '');
    return String(resource);
  };
  const grants: Record<string, string[]> = {};
  for (const statement of statementsOf(functionId)) {
    for (const action of statement.Action) {
      grants[action] = [...(grants[action] ?? []), ...statement.Resource.map(render)].sort();
    }
  }
  return grants;
}

describe('IAM of each function', () => {
  it('finds the five functions of a deployment with a digest', () => {
    expect(functions.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual([
      'DigestFunction',
      'FeedBuilderFunction',
      'NewsletterApiFunction',
      'NewsletterFeedbackFunction',
      'NewsletterSenderFunction',
    ]);
  });

  it('grants no action twice on the same resource to one function, and no action with a wildcard', () => {
    for (const [id] of functions) {
      const pairs = statementsOf(id).flatMap((s) =>
        s.Action.flatMap((action) => s.Resource.map((resource) => `${action} on ${JSON.stringify(resource)}`)),
      );
      expect(
        pairs.filter((pair, i) => pairs.indexOf(pair) !== i),
        id,
      ).toEqual([]);
      const actions = statementsOf(id).flatMap((s) => s.Action);
      expect(
        actions.filter((a) => a.includes('*')),
        id,
      ).toEqual([]);
    }
  });

  it('attaches no AWS managed policy: each role writes its own log group, and only that', () => {
    for (const [id, fn] of functions) {
      const role = resources[fn.Properties.Role['Fn::GetAtt'][0]];
      expect(role?.Properties.ManagedPolicyArns, id).toBeUndefined();
      const logGroup = fn.Properties.LoggingConfig.LogGroup.Ref as string;
      expect(grantsOf(id)['logs:PutLogEvents'], id).toEqual([`${logGroup.replace(/[0-9A-F]{8}$/, '')}.Arn`]);
      expect(grantsOf(id)['logs:CreateLogStream'], id).toEqual([`${logGroup.replace(/[0-9A-F]{8}$/, '')}.Arn`]);
    }
  });

  it('the feed builder: reads articles, writes and deletes feeds under the site prefix, keeps its manifest and lease', () => {
    expect(grantsOf(idOf('FeedBuilderFunction'))).toEqual({
      's3:GetObject': [
        'ContentBucket.Arn/articles/*',
        `FeedBuilderStateBucket.Arn/${FEED_BUILDER_STATE_PREFIX}*`,
        'SiteBucket.Arn/feeds/*',
      ],
      's3:PutObject': [`FeedBuilderStateBucket.Arn/${FEED_BUILDER_STATE_PREFIX}*`, 'SiteBucket.Arn/feeds/*'],
      's3:DeleteObject': ['SiteBucket.Arn/feeds/*'],
      // Bucket-wide: a condition on s3:prefix would make S3 answer a missing key with 403 instead of 404.
      's3:ListBucket': ['ContentBucket.Arn', 'FeedBuilderStateBucket.Arn', 'SiteBucket.Arn'],
      'dynamodb:GetItem': ['FeedBuilderLocksTable.Arn'],
      'dynamodb:PutItem': ['FeedBuilderLocksTable.Arn'],
      'dynamodb:UpdateItem': ['FeedBuilderLocksTable.Arn'],
      'dynamodb:DeleteItem': ['FeedBuilderLocksTable.Arn'],
      // The queue's consumer (the event source mapping polls with the function's role).
      'sqs:ReceiveMessage': ['FeedBuilderTriggers.Arn'],
      'sqs:ChangeMessageVisibility': ['FeedBuilderTriggers.Arn'],
      'sqs:GetQueueUrl': ['FeedBuilderTriggers.Arn'],
      'sqs:DeleteMessage': ['FeedBuilderTriggers.Arn'],
      'sqs:GetQueueAttributes': ['FeedBuilderTriggers.Arn'],
      'logs:CreateLogStream': ['FeedBuilderFunctionLogs.Arn'],
      'logs:PutLogEvents': ['FeedBuilderFunctionLogs.Arn'],
    });
  });

  it('the digest preparer: reads articles and the manifest, writes the archive under the site prefix, never deletes', () => {
    const grants = grantsOf(idOf('DigestFunction'));
    expect(grants).toMatchObject({
      's3:GetObject': [
        'ContentBucket.Arn/articles/*',
        `DigestStateBucket.Arn/${DIGEST_STATE_PREFIX}*`,
        `FeedBuilderStateBucket.Arn/${FEED_BUILDER_STATE_PREFIX}*`,
        'SiteBucket.Arn/feeds/*',
      ],
      's3:PutObject': [`DigestStateBucket.Arn/${DIGEST_STATE_PREFIX}*`, 'SiteBucket.Arn/feeds/*'],
      's3:ListBucket': ['ContentBucket.Arn', 'DigestStateBucket.Arn', 'FeedBuilderStateBucket.Arn', 'SiteBucket.Arn'],
    });
    // Its lease, in the feed builder's lock table: read, take, renew or mark, give back.
    for (const action of ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']) {
      expect(grants[action], action).toEqual(['FeedBuilderLocksTable.Arn']);
    }
    expect(Object.keys(grants).sort()).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
      'ses:GetSendQuota',
      'sqs:SendMessage',
    ]);
  });

  it('lets the weekly schedule invoke the digest preparer and nothing else', () => {
    const schedule = Object.values(resources).find((r) => r.Type === 'AWS::Scheduler::Schedule');
    const roleId = schedule?.Properties.Target.RoleArn['Fn::GetAtt'][0] as string;
    expect(roleId).toMatch(/^DigestScheduleRole/);
    const statements = Object.values(resources)
      .filter(
        (r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((ref: { Ref: string }) => ref.Ref === roleId),
      )
      .flatMap((r) => r.Properties.PolicyDocument.Statement);
    expect(statements).toEqual([
      expect.objectContaining({
        Action: 'lambda:InvokeFunction',
        Resource: [
          { 'Fn::GetAtt': [idOf('DigestFunction'), 'Arn'] },
          { 'Fn::Join': ['', [{ 'Fn::GetAtt': [idOf('DigestFunction'), 'Arn'] }, ':*']] },
        ],
      }),
    ]);
  });

  it('grants the state prefixes the handlers really use', () => {
    // The handlers name their S3Storage prefixes; the grants above are limited to them.
    for (const file of ['build-feeds.ts', 'prepare-digest.ts']) {
      const source = readFileSync(`functions/handlers/${file}`, 'utf8');
      expect(source, file).toContain(`prefix: '${FEED_BUILDER_STATE_PREFIX}'`);
    }
    const stateKeys = readFileSync('functions/pipeline/digest-state.ts', 'utf8').match(
      /`digest\/[^`]*`|'digest\/[^']*'/g,
    );
    const controlKeys = readFileSync('functions/sending/control.ts', 'utf8').match(/`digest\/[^`]*`|'digest\/[^']*'/g);
    expect(stateKeys?.length).toBeGreaterThan(0);
    expect(controlKeys?.length).toBeGreaterThan(0);
    for (const key of [...(stateKeys ?? []), ...(controlKeys ?? [])]) expect(key.slice(1)).toMatch(/^digest\//);
    expect(DIGEST_STATE_PREFIX).toBe('digest/');
  });
});
