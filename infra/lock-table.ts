// The table of leases (functions/storage/dynamo-lease.ts) that keeps a function's runs from overlapping, where
// reserved concurrency cannot: a new AWS account refuses any. Only short-lived items: losing it loses nothing.
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { LEASE_KEY, LEASE_TTL_ATTRIBUTE } from '../functions/storage/dynamo-lease.ts';

export class LockTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: LEASE_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      // Clears the leases of crashed runs; the lease never waits for it (an expired one is taken over).
      timeToLiveAttribute: LEASE_TTL_ATTRIBUTE,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.table).acknowledge({
      id: 'AwsSolutions::AwsSolutions-DDB3',
      reason:
        'Holds only leases that expire within minutes of their run: a restored lease would be stale, and an empty table is a valid state',
    });
  }

  /** What a lease holder does: read it, take it (conditional put), renew or mark it (update), give it back (delete). */
  grantLease(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      resourceArns: [this.table.tableArn],
    });
  }
}
