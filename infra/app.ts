// CDK entry point (`npx cdk deploy`). Deployment settings come from cdk.json's context (override with -c key=value).
import { readFileSync } from 'node:fs';
import { App, Duration } from 'aws-cdk-lib';
import { NewsfeedsStack } from './stack.ts';

const app = new App();
const context = (key: string, fallback: string) => String(app.node.tryGetContext(key) ?? fallback);

const configPath = context('siteConfig', 'site.config.json');
const siteConfig: unknown = JSON.parse(readFileSync(configPath, 'utf8'));

new NewsfeedsStack(app, context('stackName', 'Newsfeeds'), {
  siteConfig,
  contentPrefix: context('contentPrefix', 'articles/'),
  schedule: Duration.minutes(Number(context('scheduleMinutes', '5'))),
  batchingWindow: Duration.seconds(Number(context('batchingWindowSeconds', '30'))),
  cacheControl: context('cacheControl', 'public, max-age=300'),
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
