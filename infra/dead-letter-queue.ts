// The dead-letter queues of the app: encrypted, TLS only, messages kept 14 days for an operator (an alarm watches each).
import { Duration, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** A dead-letter queue whose parked `what` wait for an operator, told by the alarm `alarm`. */
export function deadLetterQueue(scope: Construct, id: string, what: string, alarm: string): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(queue).acknowledge({
    id: 'Serverless::Serverless-SQSRedrivePolicy',
    reason: `This is a dead-letter queue: nothing consumes it, its ${what} wait for an operator (the ${alarm} alarm), so a dead-letter queue of its own would never receive anything`,
  });
  return queue;
}
