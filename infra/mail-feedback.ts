// What SES says about sent mail, acted on: a rule on the default EventBridge bus takes the configuration set's bounce,
// complaint, reject and delivery events to the feedback function (functions/handlers/ses-feedback.ts), which marks
// bounced and complaining subscribers. An event that cannot be delivered to the function, or that the function keeps
// failing on, waits in a dead-letter queue.
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../functions/env.ts';
import { deadLetterQueue } from './dead-letter-queue.ts';
import { handlerFunction } from './handler-function.ts';
import { FEEDBACK_DETAIL_TYPES, type MailIdentity } from './mail-identity.ts';
import type { SubscriberTables } from './subscriber-tables.ts';
import type { TokenKeyring } from './token-keyring.ts';

export interface MailFeedbackProps {
  mail: MailIdentity;
  tables: SubscriberTables;
  /** Its hash key names suppressed addresses in the log without the address. */
  keyring: TokenKeyring;
}

export class MailFeedback extends Construct {
  readonly function: NodejsFunction;
  readonly rule: events.Rule;
  readonly deadLetters: sqs.Queue;

  constructor(scope: Construct, id: string, props: MailFeedbackProps) {
    super(scope, id);
    // No SQS3 finding: cdk-nag sees this queue is the function's dead-letter queue.
    this.deadLetters = deadLetterQueue(this, 'DeadLetters', 'events', 'MailFeedbackDeadLetters');
    this.function = handlerFunction(this, 'Function', {
      handlerFile: 'ses-feedback.ts',
      memorySize: 256,
      timeout: Duration.seconds(30),
      environment: { [ENV.subscriberTable]: props.tables.subscribers.tableName },
      // EventBridge hands the event over asynchronously: once Lambda has it, a run that fails three times would drop
      // a bounce or a complaint, so it is parked here too.
      deadLetterQueue: this.deadLetters,
    });
    // applyFeedback reads a subscriber and saves it back (a conditional put): nothing else.
    props.tables.grantSubscriberItems(this.function, 'dynamodb:GetItem', 'dynamodb:PutItem');
    props.keyring.grantReadTo(this.function);

    this.rule = new events.Rule(this, 'Events', {
      description: 'SES bounce, complaint, reject and delivery events of the digest configuration set',
      eventPattern: {
        source: ['aws.ses'],
        detailType: FEEDBACK_DETAIL_TYPES,
        // Only this stack's mail: SES tags every event with the configuration set's name.
        detail: { mail: { tags: { 'ses:configuration-set': [props.mail.configurationSet.configurationSetName] } } },
      },
      targets: [
        new targets.LambdaFunction(this.function, {
          deadLetterQueue: this.deadLetters,
          retryAttempts: 8,
          maxEventAge: Duration.hours(24),
        }),
      ],
    });
  }
}
