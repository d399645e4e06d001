// cdk-nag (AwsSolutions and Serverless rule packs) on the whole app, built as `cdk synth` builds it (infra/app.ts:
// deployment settings → site configuration → stacks → rule packs): no finding may be left unacknowledged, error or
// warning, and every acknowledgement carries a reason.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { addDeployment, addNagChecks, readSiteConfig } from '../../infra/deployment.ts';
import { readDeploySettings } from '../../infra/settings.ts';
import { testApp } from '../support/cdk-app.ts';

const NAG_PACKS = ['AwsSolutions', 'Serverless'];

interface Violation {
  ruleName: string;
  severity: string;
  violatingConstructs: { constructPath: string }[];
  reason?: string;
  acknowledgedAt?: string;
}
interface Report {
  pluginReports: { pluginName: string; violations: Violation[]; suppressedViolations?: Violation[] }[];
}

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * Synthesizes the app with these deployment settings (context, as with -c) and returns cdk-nag's report: what it
 * found and what was acknowledged.
 */
function nagReport(context: Record<string, unknown>, env: Record<string, string> = {}) {
  const outdir = mkdtempSync(join(tmpdir(), 'newsfeeds-nag-'));
  outdirs.push(outdir);
  const app = testApp({ outdir, context });
  const settings = readDeploySettings(app.node.getAllContext(), {
    CDK_DEFAULT_ACCOUNT: '123456789012',
    CDK_DEFAULT_REGION: 'eu-central-1',
    ...env,
  });
  addDeployment(app, settings, readSiteConfig(settings));
  addNagChecks(app);
  // A failing rule makes synth throw after it printed the report; the report file says what failed either way.
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    app.synth();
  } catch {
    // Read below.
  } finally {
    vi.restoreAllMocks();
  }
  const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as Report;
  const packs = report.pluginReports.filter((r) => NAG_PACKS.includes(r.pluginName));
  expect(packs.map((r) => r.pluginName).sort()).toEqual(NAG_PACKS);
  const lines = (violations: Violation[]) =>
    violations.flatMap((v) => v.violatingConstructs.map((c) => `${v.severity} ${v.ruleName} at ${c.constructPath}`));
  return {
    findings: lines(packs.flatMap((r) => r.violations)),
    acknowledged: packs.flatMap((r) => r.suppressedViolations ?? []),
  };
}

/** The rule a finding belongs to, without the finding's detail (`AwsSolutions-IAM5[Resource::…]` → IAM5). */
const ruleOf = (v: Violation) => v.ruleName.replace(/\[.*$/, '');

describe('cdk-nag on the whole app', () => {
  describe('with a digest section (site.config.json), no domain, an alarm email', () => {
    const { findings, acknowledged } = nagReport({ alarmEmail: 'ops@example.com' });

    it('leaves no finding unacknowledged, neither error nor warning', () => {
      expect(findings, `Unacknowledged cdk-nag findings:\n${findings.join('\n')}`).toEqual([]);
    });

    it('acknowledges only the rules the design accepts, each with a reason', () => {
      expect([...new Set(acknowledged.map(ruleOf))].sort()).toEqual([
        'AwsSolutions-APIG4',
        'AwsSolutions-CFR1',
        'AwsSolutions-CFR2',
        'AwsSolutions-CFR4',
        'AwsSolutions-DDB3',
        'AwsSolutions-IAM4',
        'AwsSolutions-IAM5',
        'AwsSolutions-S1',
        'AwsSolutions-SMG4',
        'AwsSolutions-SQS3',
        'Serverless-LambdaDLQ',
        'Serverless-LambdaEventSourceMappingDestination',
        'Serverless-LambdaTracing',
        'Serverless-SNSRedrivePolicy',
        'Serverless-SQSRedrivePolicy',
      ]);
      for (const v of acknowledged) expect(v.reason?.length ?? 0, v.ruleName).toBeGreaterThan(40);
    });

    it('accepts wildcards only on object keys under a prefix, the send quota and the schedule’s function versions', () => {
      const wildcards = acknowledged.filter((v) => v.ruleName.startsWith('AwsSolutions-IAM5')).map((v) => v.ruleName);
      expect([...new Set(wildcards)].sort()).toEqual([
        'AwsSolutions-IAM5[Resource::*]',
        'AwsSolutions-IAM5[Resource::<ContentBucketDD05A3B9.Arn>/articles/*]',
        'AwsSolutions-IAM5[Resource::<DigestFunction7BDDFF27.Arn>:*]',
        'AwsSolutions-IAM5[Resource::<DigestStateBucket8EC61308.Arn>/digest/*]',
        'AwsSolutions-IAM5[Resource::<FeedBuilderStateBucketF26439FA.Arn>/feed-builder/*]',
        'AwsSolutions-IAM5[Resource::<SiteBucket978D4AEB.Arn>/feeds/*]',
      ]);
      // No action wildcard anywhere (s3:GetObject*, s3:List*, …): each function names its actions.
      expect(wildcards.filter((id) => id.includes('Action::'))).toEqual([]);
    });

    it('accepts the AWS managed basic execution role only on CDK’s own deploy-time handler', () => {
      const managed = acknowledged.filter((v) => ruleOf(v) === 'AwsSolutions-IAM4');
      expect(managed.flatMap((v) => v.violatingConstructs.map((c) => c.constructPath))).toEqual([
        expect.stringMatching(/^Newsfeeds\/BucketNotificationsHandler[0-9a-f]+\/Role\/Resource$/),
      ]);
    });

    // The log bucket's own acknowledgement (infra/public-site.ts) is not needed here: cdk-nag sees it receives the
    // content and digest state buckets' access logs.
    it('leaves server access logs off only for the site (CloudFront logs its requests) and the builder’s cache', () => {
      const unlogged = acknowledged
        .filter((v) => ruleOf(v) === 'AwsSolutions-S1')
        .flatMap((v) => v.violatingConstructs.map((c) => c.constructPath));
      expect(unlogged.sort()).toEqual(['Newsfeeds/FeedBuilder/StateBucket/Resource', 'Newsfeeds/Site/Bucket/Resource']);
    });
  });

  it('leaves no finding unacknowledged with a custom domain in a Route 53 zone (a us-east-1 certificate stack)', () => {
    const { findings } = nagReport({
      domain: 'news.example.com',
      hostedZoneId: 'Z0123456789ABC',
      hostedZoneName: 'example.com',
    });
    expect(findings, `Unacknowledged cdk-nag findings:\n${findings.join('\n')}`).toEqual([]);
  });

  it('leaves no finding unacknowledged with a domain and an issued certificate in us-east-1', () => {
    const { findings } = nagReport(
      {
        domain: 'news.example.com',
        certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d',
      },
      { CDK_DEFAULT_REGION: 'us-east-1' },
    );
    expect(findings, `Unacknowledged cdk-nag findings:\n${findings.join('\n')}`).toEqual([]);
  });

  it('leaves no finding unacknowledged without a digest section', () => {
    const dir = mkdtempSync(join(tmpdir(), 'newsfeeds-nag-config-'));
    outdirs.push(dir);
    const { digest: _, ...withoutDigest } = JSON.parse(readFileSync('site.config.json', 'utf8'));
    writeFileSync(join(dir, 'site.config.json'), JSON.stringify(withoutDigest));
    const { findings } = nagReport({ siteConfig: join(dir, 'site.config.json') });
    expect(findings, `Unacknowledged cdk-nag findings:\n${findings.join('\n')}`).toEqual([]);
  });
});
