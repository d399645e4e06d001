// The public site: private bucket behind CloudFront, security headers, a real 404, logs, HTTP/3, the router function,
// the custom domain (hosted zone, certificate ARN, or a us-east-1 certificate stack) and the API under /api/*.
import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { describe, expect, it } from 'vitest';
import { ENV } from '../../functions/env.ts';
import { contentSecurityPolicy, PublicSite, type PublicSiteProps, siteRouterCode } from '../../infra/public-site.ts';
import { SiteCertificateStack } from '../../infra/site-certificate.ts';
import { NewsfeedsStack } from '../../infra/stack.ts';
import { testApp } from '../support/cdk-app.ts';

const ARN = 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d';
const ZONE = { id: 'Z0123456789ABC', name: 'example.org' };

function siteStack(props: Partial<PublicSiteProps> = {}, env?: { account: string; region: string }) {
  const stack = new Stack(testApp(), 'Test', { env });
  const site = new PublicSite(stack, 'Site', { baseUrl: 'https://news.example.com/feeds/', ...props });
  return { stack, site, template: () => Template.fromStack(stack) };
}

const distributionConfig = (template: Template) =>
  Object.values(template.findResources('AWS::CloudFront::Distribution'))[0]?.Properties.DistributionConfig;

describe('the public site', () => {
  const { stack, site, template: render } = siteStack();
  const template = render();

  it('writes below the path of baseUrl', () => {
    expect(site.prefix).toBe('feeds/');
    expect(siteStack({ baseUrl: 'https://d1.cloudfront.net/' }).site.prefix).toBe('');
  });

  it('blocks all public access to its buckets (the site and the access logs)', () => {
    const buckets = Object.values(template.findResources('AWS::S3::Bucket'));
    expect(buckets).toHaveLength(2);
    for (const bucket of buckets) {
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
    }
  });

  it('refuses every request to its buckets that is not over TLS', () => {
    const policies = Object.values(template.findResources('AWS::S3::BucketPolicy'));
    expect(policies).toHaveLength(2);
    for (const policy of policies) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 's3:*',
          Principal: { AWS: '*' },
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
    }
  });

  it('lets only this distribution read and list the site bucket (origin access control), so a missing feed is a 404', () => {
    const distributionArn = {
      'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':distribution/$'), { Ref: Match.anyValue() }])],
    };
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudfront.amazonaws.com' },
            Action: ['s3:GetObject', 's3:ListBucket'],
            Condition: { StringEquals: { 'AWS:SourceArn': distributionArn } },
          }),
        ]),
      },
    });
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
  });

  it('remembers a 404 for a minute', () => {
    expect(distributionConfig(template).CustomErrorResponses).toEqual([{ ErrorCode: 404, ErrorCachingMinTTL: 60 }]);
  });

  it('serves HTTP/3 and redirects plain HTTP to HTTPS', () => {
    expect(distributionConfig(template)).toMatchObject({
      HttpVersion: 'http2and3',
      DefaultCacheBehavior: { ViewerProtocolPolicy: 'redirect-to-https', Compress: true },
    });
  });

  it('logs every request to a bucket that keeps the logs 90 days', () => {
    expect(distributionConfig(template).Logging).toEqual({
      Bucket: { 'Fn::GetAtt': [expect.stringMatching(/^SiteLogBucket/), 'RegionalDomainName'] },
      Prefix: 'cloudfront/',
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerPreferred' }] },
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 90, Status: 'Enabled' })] },
    });
  });

  it('sends security headers, and lets any origin fetch the feeds', () => {
    template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: {
          ContentSecurityPolicy: { ContentSecurityPolicy: contentSecurityPolicy(), Override: true },
          ContentTypeOptions: { Override: true },
          FrameOptions: { FrameOption: 'DENY', Override: true },
          ReferrerPolicy: { ReferrerPolicy: 'strict-origin-when-cross-origin', Override: true },
          StrictTransportSecurity: { AccessControlMaxAgeSec: 31536000, IncludeSubdomains: false, Override: true },
        },
        CorsConfig: Match.objectLike({
          AccessControlAllowOrigins: { Items: ['*'] },
          AccessControlAllowMethods: { Items: ['GET', 'HEAD'] },
          AccessControlAllowCredentials: false,
          OriginOverride: true,
        }),
      }),
    });
  });

  it('allows no script, and forms only to the site and the subscriber API', () => {
    expect(contentSecurityPolicy('https://api.example.org/v1/')).toBe(
      "default-src 'none'; img-src 'self' https: data:; style-src 'self' 'unsafe-inline'; " +
        "form-action 'self' https://api.example.org; base-uri 'none'; frame-ancestors 'none'",
    );
  });

  it('runs the router on every viewer request', () => {
    template.hasResourceProperties('AWS::CloudFront::Function', {
      FunctionConfig: Match.objectLike({ Runtime: 'cloudfront-js-2.0' }),
      FunctionCode: siteRouterCode('feeds/'),
    });
    expect(distributionConfig(template).DefaultCacheBehavior.FunctionAssociations).toEqual([
      {
        EventType: 'viewer-request',
        FunctionARN: { 'Fn::GetAtt': [expect.stringMatching(/^SiteRouter/), 'FunctionARN'] },
      },
    ]);
  });

  it('names its outputs stably: the site, its three feeds, the distribution', () => {
    const outputs = template.findOutputs('*');
    expect(Object.keys(outputs).sort()).toEqual([
      'DistributionDomainName',
      'DistributionId',
      'FeedUrlAtom',
      'FeedUrlJson',
      'FeedUrlRss',
      'SiteUrl',
    ]);
    expect(outputs.FeedUrlJson?.Value).toEqual({
      'Fn::Join': [
        '',
        ['https://', { 'Fn::GetAtt': [expect.stringMatching(/^SiteDistribution/), 'DomainName'] }, '/feeds/feed.json'],
      ],
    });
  });

  it('warns on a first deploy whose baseUrl still points at an example domain', () => {
    Annotations.fromStack(stack).hasWarning(
      '/Test/Site',
      Match.stringLikeRegexp('baseUrl https://news.example.com/feeds/ still points at an example domain'),
    );
    for (const baseUrl of ['https://feeds.example/', 'https://www.example.net/x/']) {
      const { stack } = siteStack({ baseUrl });
      Annotations.fromStack(stack).hasWarning('/Test/Site', Match.stringLikeRegexp('example domain'));
    }
  });

  it('does not warn when baseUrl is the distribution’s own name', () => {
    const { stack } = siteStack({ baseUrl: 'https://d1234abcd.cloudfront.net/feeds/' });
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  it('warns when baseUrl is on a domain the distribution does not serve', () => {
    const { stack } = siteStack({ baseUrl: 'https://news.acme.io/feeds/' });
    Annotations.fromStack(stack).hasWarning('/Test/Site', Match.stringLikeRegexp('deploy with -c domain=news.acme.io'));
  });
});

describe('the cdk-nag findings the site accepts', () => {
  const acknowledged = (props: Partial<PublicSiteProps>) => {
    const { stack } = siteStack(props);
    return stack.node
      .findAll()
      .flatMap((c) =>
        c.node.metadata
          .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
          .flatMap((m) =>
            Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ path: c.node.path, id, reason })),
          ),
      );
  };

  it('are few, each on its own construct with a reason', () => {
    const found = acknowledged({});
    expect(found.map(({ path, id }) => `${path} ${id}`)).toEqual([
      'Test/Site/Bucket AwsSolutions::AwsSolutions-S1',
      'Test/Site/LogBucket AwsSolutions::AwsSolutions-S1',
      'Test/Site/Distribution AwsSolutions::AwsSolutions-CFR1',
      'Test/Site/Distribution AwsSolutions::AwsSolutions-CFR2',
      'Test/Site/Distribution AwsSolutions::AwsSolutions-CFR4',
    ]);
    for (const { reason } of found) expect(reason.length).toBeGreaterThan(40);
  });

  it('include the default certificate’s old TLS versions only without a custom domain', () => {
    const found = acknowledged({
      baseUrl: 'https://news.example.org/feeds/',
      domain: { name: 'news.example.org', certificateArn: ARN },
    });
    expect(found.map(({ id }) => id)).not.toContain('AwsSolutions::AwsSolutions-CFR4');
  });
});

describe('the router function (run in Node as CloudFront runs it)', () => {
  const route = (prefix: string, uri: string) => {
    const handler = runInNewContext(`${siteRouterCode(prefix)}\nhandler`) as (event: unknown) => unknown;
    return handler({ request: { uri, method: 'GET', headers: {}, querystring: {} } });
  };

  it('redirects the front page to the feeds folder, where its relative links resolve', () => {
    expect(route('feeds/', '/')).toMatchObject({ statusCode: 302, headers: { location: { value: '/feeds/' } } });
  });

  it('adds the slash to the folder', () => {
    expect(route('feeds/', '/feeds')).toMatchObject({ statusCode: 301, headers: { location: { value: '/feeds/' } } });
  });

  it('serves a folder’s index.html', () => {
    expect(route('feeds/', '/feeds/')).toMatchObject({ uri: '/feeds/index.html' });
    expect(route('feeds/', '/feeds/digest/2026-W48/')).toMatchObject({ uri: '/feeds/digest/2026-W48/index.html' });
    expect(route('', '/')).toMatchObject({ uri: '/index.html' });
  });

  it('leaves files alone', () => {
    expect(route('feeds/', '/feeds/feed.json')).toMatchObject({ uri: '/feeds/feed.json' });
    expect(route('', '/feed.xml')).toMatchObject({ uri: '/feed.xml' });
  });
});

describe('the subscriber API under /api/*', () => {
  const { stack, site, template: render } = siteStack();
  site.addApi(new apigwv2.HttpApi(stack, 'Api'));
  const template = render();

  it('is forwarded uncached with every method, the query string, the body and every header but Host', () => {
    const config = distributionConfig(template);
    expect(config.CacheBehaviors).toEqual([
      expect.objectContaining({
        PathPattern: '/api/*',
        ViewerProtocolPolicy: 'https-only',
        AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
        CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad', // Managed-CachingDisabled
        OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac', // Managed-AllViewerExceptHostHeader
      }),
    ]);
    const apiOrigin = config.Origins.find((o: { CustomOriginConfig?: unknown }) => o.CustomOriginConfig);
    expect(apiOrigin).toMatchObject({
      DomainName: {
        'Fn::Join': [
          '',
          [
            { Ref: expect.stringMatching(/^Api/) },
            '.execute-api.',
            { Ref: 'AWS::Region' },
            '.',
            { Ref: 'AWS::URLSuffix' },
          ],
        ],
      },
      CustomOriginConfig: { OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] },
    });
  });

  it('adds the security headers without overriding the API’s own, and no CORS', () => {
    template.resourceCountIs('AWS::CloudFront::ResponseHeadersPolicy', 2);
    template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: Match.objectLike({ FrameOptions: { FrameOption: 'DENY', Override: false } }),
        CorsConfig: Match.absent(),
      }),
    });
  });
});

describe('a custom domain', () => {
  it('with a hosted zone: a certificate validated in it, alias records, TLS 1.2 at least', () => {
    const { template: render } = siteStack({
      baseUrl: 'https://news.example.org/feeds/',
      domain: { name: 'news.example.org', hostedZone: ZONE },
    });
    const template = render();
    template.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: 'news.example.org',
      ValidationMethod: 'DNS',
      DomainValidationOptions: [{ DomainName: 'news.example.org', HostedZoneId: ZONE.id }],
    });
    for (const type of ['A', 'AAAA']) {
      template.hasResourceProperties('AWS::Route53::RecordSet', {
        Name: 'news.example.org.',
        Type: type,
        HostedZoneId: ZONE.id,
        AliasTarget: Match.objectLike({ DNSName: { 'Fn::GetAtt': [Match.anyValue(), 'DomainName'] } }),
      });
    }
    expect(distributionConfig(template)).toMatchObject({
      Aliases: ['news.example.org'],
      ViewerCertificate: {
        AcmCertificateArn: { Ref: expect.stringMatching(/^SiteCertificate/) },
        MinimumProtocolVersion: 'TLSv1.2_2021',
        SslSupportMethod: 'sni-only',
      },
    });
    expect(template.findOutputs('SiteUrl').SiteUrl?.Value).toBe('https://news.example.org/');
    expect(template.findOutputs('FeedUrlRss').FeedUrlRss?.Value).toBe('https://news.example.org/feeds/feed.xml');
  });

  it('with an issued certificate’s ARN: no certificate or records created, the distribution’s name for the CNAME', () => {
    const { template: render } = siteStack({
      baseUrl: 'https://news.example.org/feeds/',
      domain: { name: 'news.example.org', certificateArn: ARN },
    });
    const template = render();
    template.resourceCountIs('AWS::CertificateManager::Certificate', 0);
    template.resourceCountIs('AWS::Route53::RecordSet', 0);
    expect(distributionConfig(template)).toMatchObject({
      Aliases: ['news.example.org'],
      ViewerCertificate: { AcmCertificateArn: ARN, MinimumProtocolVersion: 'TLSv1.2_2021' },
    });
    expect(template.findOutputs('DistributionDomainName').DistributionDomainName?.Description).toBe(
      'Point news.example.org here: a CNAME record (or an alias record at a zone apex)',
    );
  });

  it('refuses a baseUrl on another host than the domain', () => {
    expect(() => siteStack({ domain: { name: 'news.example.org', certificateArn: ARN } })).toThrow(
      "baseUrl https://news.example.com/feeds/ is not on the site's domain news.example.org",
    );
  });

  it('outside us-east-1, takes the certificate from a small us-east-1 stack', () => {
    const app = testApp();
    const env = { account: '123456789012', region: 'eu-central-1' };
    const certificates = new SiteCertificateStack(app, 'Cert', {
      env,
      domainName: 'news.example.org',
      hostedZone: ZONE,
    });
    const stack = new Stack(app, 'Site', { env, crossRegionReferences: true });
    new PublicSite(stack, 'Site', {
      baseUrl: 'https://news.example.org/feeds/',
      domain: { name: 'news.example.org', hostedZone: ZONE, certificate: certificates.certificate },
    });
    expect(certificates.region).toBe('us-east-1');
    Template.fromStack(certificates).resourceCountIs('AWS::CertificateManager::Certificate', 1);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CertificateManager::Certificate', 0);
    template.resourceCountIs('AWS::Route53::RecordSet', 2);
    expect(distributionConfig(template).ViewerCertificate.AcmCertificateArn).toEqual({
      'Fn::GetStackOutput': { StackName: 'Cert', Region: 'us-east-1', OutputName: expect.any(String) },
    });
  });

  it('outside us-east-1, refuses to create the certificate in the stack itself', () => {
    expect(() =>
      siteStack(
        { baseUrl: 'https://news.example.org/feeds/', domain: { name: 'news.example.org', hostedZone: ZONE } },
        { account: '123456789012', region: 'eu-central-1' },
      ),
    ).toThrow('CloudFront only uses certificates from us-east-1, and this stack is in eu-central-1');
  });
});

describe('the stack', () => {
  it('has the builders write below the path of baseUrl', () => {
    const siteConfig = JSON.parse(readFileSync('site.config.json', 'utf8'));
    const stack = new NewsfeedsStack(testApp(), 'Test', {
      siteConfig,
      contentPrefix: 'articles/',
      schedule: Duration.minutes(5),
      batchingWindow: Duration.seconds(30),
      cacheControl: 'public, max-age=300',
    });
    const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: Match.objectLike({ [ENV.siteBucket]: Match.anyValue() }) } },
    });
    const builders = Object.entries(functions).filter(([id]) => /^(FeedBuilder|Digest)Function/.test(id));
    expect(builders).toHaveLength(2);
    for (const [, fn] of builders) expect(fn.Properties.Environment.Variables[ENV.sitePrefix]).toBe('feeds/');
  });
});
