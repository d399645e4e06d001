// The whole deployment as `cdk synth` builds it, in one place app.ts and the tests share: the site configuration read
// with the deployment settings applied, the stack (and, where CloudFront needs one, a us-east-1 certificate stack),
// and the cdk-nag rule packs that every synth runs.
import { readFileSync } from 'node:fs';
import { type App, Duration, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { parseSiteConfig, parseSiteConfigText } from '../functions/core/config.ts';
import { ConfigError } from '../functions/core/errors.ts';
import type { MailSettings } from './newsletter.ts';
import { type DeploySettings, withDeploySettings } from './settings.ts';
import { SiteCertificateStack } from './site-certificate.ts';
import { NewsfeedsStack } from './stack.ts';

/** The site configuration file named by the settings, checked, with the deployment settings applied. */
export function readSiteConfig(settings: DeploySettings): unknown {
  let text: string;
  try {
    text = readFileSync(settings.siteConfigPath, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `The deployment settings are not valid:\n  siteConfig: cannot read ${settings.siteConfigPath} (${(error as Error).message}); ` +
        'set -c siteConfig=path/to/site.config.json or NEWSFEEDS_SITE_CONFIG',
      { cause: error },
    );
  }
  // Checked first with the command line's messages (a byte order mark, a mistyped setting).
  parseSiteConfigText(text, settings.siteConfigPath);
  return withDeploySettings(JSON.parse(text), settings);
}

/** The stacks of one deployment. Throws a ConfigError for a setting the constructs refuse. */
export function addDeployment(
  app: App,
  settings: DeploySettings,
  siteConfig: unknown,
): { stack: NewsfeedsStack; certificateStack?: SiteCertificateStack } {
  const env = { account: settings.account, region: settings.region };
  const domain = settings.domain;
  // CloudFront takes certificates from us-east-1 only: a stack elsewhere gets one from a small stack there.
  const certificateStack =
    domain?.hostedZone && !domain.certificateArn && settings.region !== 'us-east-1'
      ? new SiteCertificateStack(app, `${settings.stackName}-Certificate`, {
          env,
          domainName: domain.name,
          hostedZone: domain.hostedZone,
          description: `The TLS certificate of ${domain.name} for the ${settings.stackName} site (CloudFront needs us-east-1)`,
        })
      : undefined;
  const stack = new NewsfeedsStack(app, settings.stackName, {
    siteConfig,
    contentPrefix: settings.contentPrefix,
    schedule: Duration.minutes(settings.scheduleMinutes),
    batchingWindow: Duration.seconds(settings.batchingWindowSeconds),
    cacheControl: settings.cacheControl,
    ...(domain ? { domain: { ...domain, certificate: certificateStack?.certificate } } : {}),
    ...(settings.alarmEmail ? { alarmEmail: settings.alarmEmail } : {}),
    ...mailOf(settings, siteConfig),
    ...(settings.accountConcurrency ? { accountConcurrency: settings.accountConcurrency } : {}),
    crossRegionReferences: certificateStack !== undefined,
    env,
  });
  return { stack, ...(certificateStack ? { certificateStack } : {}) };
}

/**
 * The digest's mail settings: the sending domain and DMARC as set, and the site's hosted zone when the sending domain
 * (by default the domain of digest.from.address) is in it, so its DNS records are created there too.
 */
function mailOf(settings: DeploySettings, siteConfig: unknown): { mail?: MailSettings } {
  const from = parseSiteConfig(siteConfig, 'siteConfig').digest?.from.address;
  if (!from) return {};
  const domain = (settings.mail?.domain ?? from.split('@').at(-1) ?? '').toLowerCase();
  const zone = settings.domain?.hostedZone;
  const inZone = zone && (domain === zone.name || domain.endsWith(`.${zone.name}`));
  const mail: MailSettings = {
    ...(settings.mail?.domain ? { domain: settings.mail.domain } : {}),
    ...(settings.mail?.dmarc !== undefined ? { dmarc: settings.mail.dmarc } : {}),
    ...(inZone ? { hostedZone: zone } : {}),
  };
  return Object.keys(mail).length > 0 ? { mail } : {};
}

/**
 * cdk-nag's AWS Solutions and Serverless rule packs, run on every synth: an unacknowledged error stops it (exit 1).
 * What the design accepts is acknowledged on the construct it concerns, with its reason (search for acknowledge).
 */
export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
}
