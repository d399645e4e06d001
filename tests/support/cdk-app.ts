// A CDK app for assertion tests with the feature flags of cdk.json, so tests synthesize what `cdk synth` does.
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';

const { context } = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown>;
};

/** The context of cdk.json (the recommended feature flags), plus `extra` (deployment settings, as with `-c`). */
export function testApp(options: { outdir?: string; context?: Record<string, unknown> } = {}): App {
  return new App({ outdir: options.outdir, context: { ...context, ...options.context } });
}
