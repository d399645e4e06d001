// The deployment as app.ts builds it: settings that concern two constructs at once (the site's hosted zone also
// serving the digest's mail domain, the account's concurrency quota) reach both.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { addDeployment, readSiteConfig } from '../../infra/deployment.ts';
import { readDeploySettings } from '../../infra/settings.ts';
import { testApp } from '../support/cdk-app.ts';

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

function deploy(context: Record<string, unknown>) {
  const outdir = mkdtempSync(join(tmpdir(), 'newsfeeds-deployment-'));
  outdirs.push(outdir);
  const app = testApp({ outdir, context });
  const settings = readDeploySettings(app.node.getAllContext(), {
    CDK_DEFAULT_ACCOUNT: '123456789012',
    CDK_DEFAULT_REGION: 'us-east-1',
  });
  return Template.fromStack(addDeployment(app, settings, readSiteConfig(settings)).stack);
}

describe('one deployment setting, several constructs', () => {
  // site.config.json sends from digest@news.example.com: inside the hosted zone example.com.
  const zone = { domain: 'news.example.com', hostedZoneId: 'Z0123456789ABC', hostedZoneName: 'example.com' };

  it("creates the mail domain's DKIM, MAIL FROM and DMARC records in the site's hosted zone when the domain is in it", () => {
    const template = deploy({ ...zone, dmarc: 'v=DMARC1; p=quarantine' });
    const records = Object.values(template.findResources('AWS::Route53::RecordSet')).map(
      (r) => r.Properties as { Type: string; Name: unknown; ResourceRecords?: unknown[] },
    );
    const types = records.map((r) => r.Type).sort();
    // The site's alias records (A, AAAA), 3 DKIM CNAMEs, the MAIL FROM MX and SPF TXT, and DMARC.
    expect(types.filter((t) => t === 'CNAME')).toHaveLength(3);
    expect(types).toContain('MX');
    expect(types.filter((t) => t === 'TXT')).toHaveLength(2);
    template.hasResourceProperties('AWS::Route53::RecordSet', {
      Type: 'TXT',
      Name: '_dmarc.news.example.com.',
      ResourceRecords: ['"v=DMARC1; p=quarantine"'],
    });
    expect(template.toJSON().Outputs.MailDnsDkim1.Description).toMatch(/created in the hosted zone/);
  });

  it('only lists the DNS records (as outputs) when the mail domain is not in the hosted zone', () => {
    const template = deploy({ ...zone, hostedZoneName: 'news.example.com', mailDomain: 'example.com' });
    template.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'example.com' });
    const outputs = template.toJSON().Outputs;
    for (const id of ['MailDnsDkim1', 'MailDnsMailFromMx', 'MailDnsDmarc']) {
      expect(outputs[id].Description).toMatch(/add it at your DNS provider/);
    }
    const types = Object.values(template.findResources('AWS::Route53::RecordSet')).map((r) => r.Properties.Type);
    expect(types.sort()).toEqual(['A', 'AAAA']);
  });

  it('lets the senders use a raised account concurrency quota, which a new account would refuse', () => {
    const dir = mkdtempSync(join(tmpdir(), 'newsfeeds-deployment-config-'));
    outdirs.push(dir);
    const config = JSON.parse(readFileSync('site.config.json', 'utf8'));
    config.digest.sending = { ...config.digest.sending, maxConcurrency: 8 };
    const siteConfig = join(dir, 'site.config.json');
    writeFileSync(siteConfig, JSON.stringify(config));
    expect(() => deploy({ siteConfig })).toThrow(/concurren/i);
    const template = deploy({ siteConfig, accountConcurrency: 1000 });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: { MaximumConcurrency: 8 } });
    expect(template.toJSON().Outputs).toHaveProperty('FeedBuilderFunctionName');
  });

  it("gives every function a log group with a retention, CDK's own (bucket notifications, auto-delete) included", () => {
    const template = deploy({});
    const groups = template.findResources('AWS::Logs::LogGroup');
    for (const [id, group] of Object.entries(groups)) expect(group.Properties.RetentionInDays, id).toBe(30);
    const functions = Object.entries(template.findResources('AWS::Lambda::Function'));
    expect(functions.length).toBeGreaterThanOrEqual(7);
    for (const [id, fn] of functions) {
      const logGroup = fn.Properties.LoggingConfig?.LogGroup;
      expect(logGroup, id).toEqual({ Ref: expect.any(String) });
      expect(Object.keys(groups), id).toContain(logGroup.Ref);
    }
  });

  it("pauses the latest issue's sending when an SES reputation alarm enters ALARM", () => {
    const template = deploy({});
    const alarms = template.findResources('AWS::CloudWatch::Alarm');
    const idOf = (name: string) =>
      Object.entries(alarms).find(([, a]) => JSON.stringify(a.Properties.AlarmName).includes(name))?.[0];
    const [bounce, complaint] = [idOf('SesBounceRate'), idOf('SesComplaintRate')];
    expect(bounce && complaint).toBeTruthy();
    const rules = Object.values(template.findResources('AWS::Events::Rule')).filter(
      (r) => r.Properties.EventPattern?.['detail-type']?.[0] === 'CloudWatch Alarm State Change',
    );
    expect(rules).toHaveLength(1);
    const rule = rules[0]!.Properties;
    expect(rule.EventPattern).toEqual({
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      resources: [{ 'Fn::GetAtt': [bounce, 'Arn'] }, { 'Fn::GetAtt': [complaint, 'Arn'] }],
      detail: { state: { value: ['ALARM'] } },
    });
    const functions = template.findResources('AWS::Lambda::Function');
    const preparer = Object.keys(functions).find((id) => id.startsWith('DigestFunction'));
    expect(rule.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [preparer, 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 3 },
        DeadLetterConfig: { Arn: expect.anything() },
      }),
    ]);
  });
});
