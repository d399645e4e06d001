// How every function of this app is built: one handler file of functions/handlers/, Node.js 24 on arm64, bundled
// with the pinned AWS SDK (the deployed code is the code that was tested), a month of logs. Its role may write its own
// log group and nothing else until a construct grants it what its code does (no AWSLambdaBasicExecutionRole, which
// would let it create any log group and write to all of them).
import { fileURLToPath } from 'node:url';
import { type Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { LOG_RETENTION } from './log-retention.ts';

export interface HandlerFunctionProps {
  /** The file below functions/handlers/, e.g. `build-feeds.ts`. */
  handlerFile: string;
  memorySize: number;
  timeout: Duration;
  environment: Record<string, string>;
  /**
   * Where Lambda parks an asynchronous event (EventBridge) that failed every retry. Functions invoked synchronously
   * (API Gateway) or by an SQS event source (whose queue has its own dead-letter queue) have none.
   */
  deadLetterQueue?: sqs.IQueue;
  // No reservedConcurrentExecutions: a new AWS account refuses any, so no function may rely on it (a lease does).
}

export function handlerFunction(scope: Construct, id: string, props: HandlerFunctionProps): NodejsFunction {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    retention: LOG_RETENTION,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `Runs ${props.handlerFile}: its own log group, and what its construct grants`,
  });
  // The log group exists (Lambda need not create it): streams and events in it, nothing else.
  iam.Grant.addToPrincipal({
    grantee: role,
    actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    resourceArns: [logGroup.logGroupArn],
  });
  const fn = new NodejsFunction(scope, id, {
    entry: fileURLToPath(new URL(`../functions/handlers/${props.handlerFile}`, import.meta.url)),
    handler: 'handler',
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: props.memorySize,
    timeout: props.timeout,
    role,
    logGroup,
    bundling: { format: OutputFormat.CJS, target: 'node24', minify: true, sourceMap: true, bundleAwsSDK: true },
    environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
    ...(props.deadLetterQueue ? { deadLetterQueue: props.deadLetterQueue } : {}),
  });
  Validations.of(fn).acknowledge({
    id: 'Serverless::Serverless-LambdaTracing',
    reason:
      'Each run logs one JSON line with its duration and request counts, which is what the alarms and Logs Insights use; X-Ray would add cost and an IAM grant on every resource (*) for little more',
  });
  if (!props.deadLetterQueue) {
    Validations.of(fn).acknowledge({
      id: 'Serverless::Serverless-LambdaDLQ',
      reason:
        'Not invoked asynchronously by an event source that loses events: SQS-driven functions fail back to their queue (which has a dead-letter queue), the API answers its caller, the weekly preparer raises an alarm and is run again by hand',
    });
  }
  return fn;
}

/**
 * Acknowledges cdk-nag's IAM5 finding for a grant on objects under a key pattern (`bucket/prefix*`): object ARNs can
 * only be limited by key pattern, so the wildcard is the narrowest the grant can be. On the function's role.
 */
export function acknowledgeObjectGrant(fn: lambda.IFunction, bucketArnFinding: string, reason: string): void {
  if (!fn.role) throw new Error(`${fn.node.path} has no role to acknowledge a grant on`);
  Validations.of(fn.role).acknowledge({ id: `AwsSolutions::AwsSolutions-IAM5[Resource::${bucketArnFinding}]`, reason });
}
