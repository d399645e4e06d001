// CDK entry point (`npx cdk deploy`). What is deployed where comes from the deployment settings (infra/settings.ts:
// cdk.json's context, -c key=value, NEWSFEEDS_* variables); what the system does from the site configuration file.
// Both are checked here, before anything is built, and a mistake ends the run with a message naming the setting.
import { readFileSync } from 'node:fs';
import { App, Duration } from 'aws-cdk-lib';
import { parseSiteConfigText } from '../functions/core/config.ts';
import { ConfigError } from '../functions/core/errors.ts';
import { type DeploySettings, readDeploySettings, withDeploySettings } from './settings.ts';
import { SiteCertificateStack } from './site-certificate.ts';
import { NewsfeedsStack } from './stack.ts';

function readSiteConfig(settings: DeploySettings): unknown {
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

const app = new App();
let settings: DeploySettings;
let siteConfig: unknown;
try {
  settings = readDeploySettings(app.node.getAllContext(), process.env);
  siteConfig = readSiteConfig(settings);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

try {
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
  new NewsfeedsStack(app, settings.stackName, {
    siteConfig,
    contentPrefix: settings.contentPrefix,
    schedule: Duration.minutes(settings.scheduleMinutes),
    batchingWindow: Duration.seconds(settings.batchingWindowSeconds),
    cacheControl: settings.cacheControl,
    ...(domain ? { domain: { ...domain, certificate: certificateStack?.certificate } } : {}),
    ...(settings.alarmEmail ? { alarmEmail: settings.alarmEmail } : {}),
    crossRegionReferences: certificateStack !== undefined,
    env,
  });
} catch (error) {
  // A setting the constructs refuse (baseUrl off the domain, a digest section that does not fit): the message, no trace.
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
