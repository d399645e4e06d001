// The deployment settings: read from context and environment, defaults filled in, every mistake named with its source.
import { describe, expect, it } from 'vitest';
import { readDeploySettings, withDeploySettings } from '../../infra/settings.ts';

const ARN = 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d';

/** The message of the error `read` throws, or '' when it does not throw. */
function problemOf(context: Record<string, unknown>, env: Record<string, string> = {}): string {
  try {
    readDeploySettings(context, env);
    return '';
  } catch (error) {
    return (error as Error).message;
  }
}

describe('the deployment settings', () => {
  it('fills in the defaults when nothing is set', () => {
    expect(readDeploySettings({}, {})).toEqual({
      stackName: 'Newsfeeds',
      siteConfigPath: 'site.config.json',
      contentPrefix: 'articles/',
      scheduleMinutes: 5,
      batchingWindowSeconds: 30,
      cacheControl: 'public, max-age=300',
    });
  });

  it('reads numbers given as text on the command line (-c scheduleMinutes=10) and as JSON numbers in cdk.json', () => {
    expect(readDeploySettings({ scheduleMinutes: '10', batchingWindowSeconds: 60 }, {})).toMatchObject({
      scheduleMinutes: 10,
      batchingWindowSeconds: 60,
    });
  });

  it('takes a setting from the environment when the context does not have it, and the context over both', () => {
    const env = { NEWSFEEDS_ALARM_EMAIL: 'ops@example.org', NEWSFEEDS_STACK_NAME: 'FromEnv' };
    expect(readDeploySettings({ stackName: 'FromContext' }, env)).toMatchObject({
      stackName: 'FromContext',
      alarmEmail: 'ops@example.org',
    });
  });

  it('treats an empty value as unset (an empty CI variable)', () => {
    expect(readDeploySettings({ domain: '' }, { NEWSFEEDS_CERTIFICATE_ARN: '' }).domain).toBeUndefined();
  });

  it('normalizes the content prefix to a folder', () => {
    expect(readDeploySettings({ contentPrefix: '/news/articles' }, {}).contentPrefix).toBe('news/articles/');
    expect(readDeploySettings({ contentPrefix: '/' }, {}).contentPrefix).toBe('');
  });

  it('accepts a domain with a Route 53 hosted zone, the zone id as the console or the API shows it', () => {
    const settings = readDeploySettings(
      { domain: 'News.Example.org.', hostedZoneId: '/hostedzone/Z0123456789ABC', hostedZoneName: 'example.org' },
      { CDK_DEFAULT_REGION: 'eu-central-1' },
    );
    expect(settings.domain).toEqual({
      name: 'news.example.org',
      hostedZone: { id: 'Z0123456789ABC', name: 'example.org' },
    });
    expect(settings.region).toBe('eu-central-1');
  });

  it('accepts a domain with the ARN of a us-east-1 certificate', () => {
    expect(readDeploySettings({ domain: 'news.example.org', certificateArn: ARN }, {}).domain).toEqual({
      name: 'news.example.org',
      certificateArn: ARN,
    });
  });

  it('refuses a certificate outside us-east-1, saying CloudFront only takes us-east-1 and where the ARN came from', () => {
    const problem = problemOf(
      { domain: 'news.example.org' },
      { NEWSFEEDS_CERTIFICATE_ARN: ARN.replace('us-east-1', 'eu-west-1') },
    );
    expect(problem).toContain('certificateArn (environment variable NEWSFEEDS_CERTIFICATE_ARN)');
    expect(problem).toContain('the certificate is in eu-west-1, but CloudFront only uses certificates from us-east-1');
  });

  it('refuses something that is not a certificate ARN, showing an example', () => {
    const problem = problemOf({ domain: 'news.example.org', certificateArn: 'arn:aws:acm:us-east-1:1234:cert/x' });
    expect(problem).toContain('certificateArn (context "certificateArn" (cdk.json or -c certificateArn=…))');
    expect(problem).toContain('expected an ACM certificate ARN such as arn:aws:acm:us-east-1:');
  });

  it('refuses a certificate of another account than the one deployed to', () => {
    const problem = problemOf(
      { domain: 'news.example.org', certificateArn: ARN },
      { CDK_DEFAULT_ACCOUNT: '210987654321' },
    );
    expect(problem).toContain('the certificate belongs to account 123456789012, not 210987654321');
  });

  it('refuses a URL where a domain belongs', () => {
    expect(problemOf({ domain: 'https://news.example.org/feeds/', certificateArn: ARN })).toMatch(
      /domain \(context "domain".*\): expected a host name such as news.example.com \(no https:\/\/, no path\), got "https:\/\/news.example.org\/feeds\/"/,
    );
  });

  it('asks for a certificate or a hosted zone when only a domain is given', () => {
    expect(problemOf({ domain: 'news.example.org' })).toContain(
      'certificateArn or hostedZoneId with hostedZoneName: missing setting; the domain news.example.org needs a certificate',
    );
  });

  it('asks for the domain when a hosted zone or certificate is given without one', () => {
    expect(problemOf({ certificateArn: ARN })).toContain(
      'domain: missing setting (-c domain=… or NEWSFEEDS_DOMAIN); certificateArn is set',
    );
  });

  it('asks for the zone name with its id, and the other way round', () => {
    const context = { domain: 'news.example.org', hostedZoneId: 'Z0123456789ABC' };
    expect(problemOf(context, { CDK_DEFAULT_REGION: 'us-east-1' })).toContain(
      'hostedZoneName: missing setting (-c hostedZoneName=… or NEWSFEEDS_HOSTED_ZONE_NAME)',
    );
  });

  it('refuses a domain outside its hosted zone', () => {
    const context = { domain: 'news.example.org', hostedZoneId: 'Z0123456789ABC', hostedZoneName: 'example.com' };
    expect(problemOf(context, { CDK_DEFAULT_REGION: 'us-east-1' })).toContain(
      'news.example.org is not in the hosted zone example.com',
    );
  });

  it('needs the deploy region to place a certificate validated through the hosted zone', () => {
    const context = { domain: 'news.example.org', hostedZoneId: 'Z0123456789ABC', hostedZoneName: 'example.org' };
    expect(problemOf(context)).toContain('region: missing setting (CDK_DEFAULT_REGION)');
  });

  it('names every wrong setting at once, with the allowed range', () => {
    const problem = problemOf({ scheduleMinutes: 0, batchingWindowSeconds: 'half a minute', alarmEmail: 'ops' });
    expect(problem).toContain(
      'scheduleMinutes (context "scheduleMinutes" (cdk.json or -c scheduleMinutes=…)): expected a whole number of minutes from 1 to 1440, got 0',
    );
    expect(problem).toContain(
      'batchingWindowSeconds (context "batchingWindowSeconds" (cdk.json or -c batchingWindowSeconds=…)): expected a whole number of seconds from 1 to 300, got "half a minute"',
    );
    expect(problem).toContain(
      'alarmEmail (context "alarmEmail" (cdk.json or -c alarmEmail=…)): expected an email address such as ops@example.com, got "ops"',
    );
  });

  it('suggests the setting a mistyped context key was meant to be, and ignores CDK feature flags', () => {
    const problem = problemOf({
      hostedZoneID: 'Z1',
      alarmMail: 'ops@example.org',
      '@aws-cdk/core:checkSecretUsage': true,
    });
    expect(problem).toContain('context "alarmMail": unknown setting; did you mean "alarmEmail"?');
    expect(problem).toContain('context "hostedZoneID": unknown setting; did you mean "hostedZoneId"?');
    expect(problem).not.toContain('checkSecretUsage');
  });

  it('overrides the digest send rate with the account rate, and refuses it without a digest section', () => {
    const settings = readDeploySettings({ sendRatePerSecond: '50' }, {});
    const config = { title: 'T', digest: { from: {}, sending: { maxConcurrency: 4 } } };
    expect(withDeploySettings(config, settings)).toEqual({
      title: 'T',
      digest: { from: {}, sending: { maxConcurrency: 4, ratePerSecond: 50 } },
    });
    expect(() => withDeploySettings({ title: 'T' }, settings)).toThrow(
      'sendRatePerSecond (-c sendRatePerSecond=… or NEWSFEEDS_SEND_RATE_PER_SECOND): set, but site.config.json has no "digest" section',
    );
  });
});

describe('the mail and concurrency settings', () => {
  it('reads the sending domain, the DMARC record ("none": the domain has one) and the account concurrency', () => {
    expect(
      readDeploySettings(
        { mailDomain: 'Mail.Example.org', dmarc: 'v=DMARC1; p=quarantine', accountConcurrency: '1000' },
        {},
      ),
    ).toMatchObject({
      mail: { domain: 'mail.example.org', dmarc: 'v=DMARC1; p=quarantine' },
      accountConcurrency: 1000,
    });
    expect(readDeploySettings({}, { NEWSFEEDS_DMARC: 'none' }).mail).toEqual({ dmarc: false });
  });

  it.each([
    [{ dmarc: 'p=none' }, /dmarc \(context "dmarc".*expected a DMARC record/],
    [{ accountConcurrency: 5 }, /accountConcurrency .*from 10 to 100000/],
    [{ mailDomain: 'https://mail.example.org' }, /mailDomain .*expected a host name/],
  ])('refuses %j, naming the setting', (context, message) => {
    expect(problemOf(context)).toMatch(message);
  });
});
