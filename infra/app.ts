// CDK entry point (`npx cdk deploy`). Deployment settings come from cdk.json's context (override with -c key=value).
import { readFileSync } from 'node:fs';
import { App, Duration } from 'aws-cdk-lib';
import { parseSiteConfigText } from '../functions/core/config.ts';
import { NewsfeedsStack } from './stack.ts';

const app = new App();
const context = (key: string, fallback: string) => String(app.node.tryGetContext(key) ?? fallback);

const configPath = context('siteConfig', 'site.config.json');
const configText = readFileSync(configPath, 'utf8');
// Checked first with the command line's messages (a byte order mark, a mistyped setting), before anything is built.
parseSiteConfigText(configText, configPath);
const siteConfig: unknown = JSON.parse(configText);

new NewsfeedsStack(app, context('stackName', 'Newsfeeds'), {
  siteConfig,
  contentPrefix: context('contentPrefix', 'articles/'),
  schedule: Duration.minutes(Number(context('scheduleMinutes', '5'))),
  batchingWindow: Duration.seconds(Number(context('batchingWindowSeconds', '30'))),
  cacheControl: context('cacheControl', 'public, max-age=300'),
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
