// How every function of this app is built: one handler file of functions/handlers/, Node.js 24 on arm64, bundled
// with the pinned AWS SDK (the deployed code is the code that was tested), a month of logs.
import { fileURLToPath } from 'node:url';
import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

export interface HandlerFunctionProps {
  /** The file below functions/handlers/, e.g. `build-feeds.ts`. */
  handlerFile: string;
  memorySize: number;
  timeout: Duration;
  environment: Record<string, string>;
  // No reservedConcurrentExecutions: a new AWS account refuses any, so no function may rely on it (a lease does).
}

export function handlerFunction(scope: Construct, id: string, props: HandlerFunctionProps): NodejsFunction {
  return new NodejsFunction(scope, id, {
    entry: fileURLToPath(new URL(`../functions/handlers/${props.handlerFile}`, import.meta.url)),
    handler: 'handler',
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: props.memorySize,
    timeout: props.timeout,
    logGroup: new logs.LogGroup(scope, `${id}Logs`, {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    }),
    bundling: { format: OutputFormat.CJS, target: 'node24', minify: true, sourceMap: true, bundleAwsSDK: true },
    environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
  });
}
