// Log groups with retention everywhere, also for the functions CDK adds on its own (the bucket notifications handler,
// the custom resource that empties a bucket on teardown): each gets a log group of its own, kept a month, through the
// function's LoggingConfig, where Lambda would otherwise create one that keeps logs forever.
import { Aspects, CfnResource, type IAspect, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct, IConstruct } from 'constructs';

export const LOG_RETENTION = logs.RetentionDays.ONE_MONTH;

class RetainLogsOfEveryFunction implements IAspect {
  visit(node: IConstruct): void {
    const isFunction = node instanceof CfnResource && node.cfnResourceType === 'AWS::Lambda::Function';
    if (!isFunction) return;
    // Our own functions (handler-function.ts) name their log group already.
    if (node instanceof lambda.CfnFunction && node.loggingConfig !== undefined) return;
    const stack = Stack.of(node);
    const id = `${node.node.path.replace(/[^A-Za-z0-9]/g, '')}Logs`;
    if (stack.node.tryFindChild(id)) return;
    const group = new logs.LogGroup(stack, id, { retention: LOG_RETENTION, removalPolicy: RemovalPolicy.DESTROY });
    node.addPropertyOverride('LoggingConfig.LogGroup', group.logGroupName);
  }
}

/** Applies the rule to every function in `scope` (a stack, or the app). */
export function retainLogsOfEveryFunction(scope: Construct): void {
  Aspects.of(scope).add(new RetainLogsOfEveryFunction());
}
