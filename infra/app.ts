// CDK entry point (`npx cdk deploy`). What is deployed where comes from the deployment settings (infra/settings.ts:
// cdk.json's context, -c key=value, NEWSFEEDS_* variables); what the system does from the site configuration file.
// Both are checked here, before anything is built, and a mistake ends the run with a message naming the setting.
// The stacks are built by infra/deployment.ts, as the tests build them, and checked by cdk-nag.
import { App } from 'aws-cdk-lib';
import { ConfigError } from '../functions/core/errors.ts';
import { addDeployment, addNagChecks, readSiteConfig } from './deployment.ts';
import { readDeploySettings } from './settings.ts';

const app = new App();
try {
  const settings = readDeploySettings(app.node.getAllContext(), process.env);
  addDeployment(app, settings, readSiteConfig(settings));
} catch (error) {
  // A setting the constructs refuse (baseUrl off the domain, a digest section that does not fit): the message, no trace.
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
addNagChecks(app);
