// How many functions may run at once. All functions of an account share one pool of concurrent executions: 10 on a
// new account (a quota that can be raised). An SQS event source that finds the pool empty has its invocation
// throttled, and each throttled receive counts towards the queue's dead-letter redrive; so the event sources'
// maximum concurrencies together must leave room for the functions other services invoke directly.
//
//   account concurrency (new account)                10
//   - feed builder's event source (SQS's minimum)     2
//   - digest sender's event source (digest.sending)   2 by default, 3 at most on a new account
//   - room for the subscriber API                     3  (≈10 requests/s at 0.1–0.4 s each: its stage throttle)
//   - room for the SES feedback handler               1  (EventBridge invokes it asynchronously: a throttled event
//                                                         is retried by Lambda, not lost)
//   - room for the weekly digest preparer             1
//   = 9 of 10 with the defaults; raising maxConcurrency needs the account's quota raised first.

import type { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';

/** The account concurrency of a new AWS account ("Concurrent executions" in Service Quotas, Lambda). */
export const NEW_ACCOUNT_CONCURRENCY = 10;

/** The least maximum concurrency an SQS event source accepts. */
export const SQS_MIN_CONCURRENCY = 2;

/** What the directly invoked functions may need at once, kept free of the event sources. */
export const ROOM_FOR_DIRECT_INVOCATIONS = { subscriberApi: 3, sesFeedback: 1, digestPreparer: 1 } as const;

const room = Object.values(ROOM_FOR_DIRECT_INVOCATIONS).reduce((sum, n) => sum + n, 0);

/**
 * Checks that the event sources' maximum concurrencies and the room for the directly invoked functions fit into the
 * account's concurrency; throws a message naming the settings to change otherwise.
 */
export function checkConcurrencyBudget(accountConcurrency: number, eventSources: Record<string, number>): void {
  if (!Number.isInteger(accountConcurrency) || accountConcurrency < NEW_ACCOUNT_CONCURRENCY) {
    throw new Error(
      `accountConcurrency must be a whole number of at least ${NEW_ACCOUNT_CONCURRENCY} (a new account's), got ${accountConcurrency}`,
    );
  }
  const taken = Object.values(eventSources).reduce((sum, n) => sum + n, 0);
  if (taken + room <= accountConcurrency) return;
  const list = Object.entries(eventSources)
    .map(([name, n]) => `${name} ${n}`)
    .join(', ');
  throw new Error(
    `The event sources' maximum concurrencies (${list}) and the room kept for the subscriber API, the SES feedback ` +
      `and the digest preparer (${room}) add up to ${taken + room}, over the account's ${accountConcurrency} ` +
      'concurrent executions: lower digest.sending.maxConcurrency, or raise the Lambda quota "Concurrent executions" ' +
      'in Service Quotas and set the deployment setting accountConcurrency to the new quota.',
  );
}

/** Every event source mapping below `scope` with its maximum concurrency (none: unbounded, reported as Infinity). */
export function eventSourceConcurrencies(scope: IConstruct): Record<string, number> {
  const found: Record<string, number> = {};
  for (const child of scope.node.findAll()) {
    if (!(child instanceof lambda.CfnEventSourceMapping)) continue;
    const scaling = child.scalingConfig as lambda.CfnEventSourceMapping.ScalingConfigProperty | undefined;
    const maximum = scaling?.maximumConcurrency;
    found[child.node.scope?.node.path ?? child.node.path] =
      typeof maximum === 'number' ? maximum : Number.POSITIVE_INFINITY;
  }
  return found;
}

/**
 * Checks the budget when the app is synthesized, over every event source mapping of the stack (so one added later
 * counts too): a stack over it does not synthesize.
 */
export function addConcurrencyBudgetCheck(stack: Stack, accountConcurrency = NEW_ACCOUNT_CONCURRENCY): void {
  stack.node.addValidation({
    validate: () => {
      try {
        checkConcurrencyBudget(accountConcurrency, eventSourceConcurrencies(stack));
        return [];
      } catch (error) {
        return [(error as Error).message];
      }
    },
  });
}
