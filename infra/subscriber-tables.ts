// The digest's two tables: the subscribers (who gets the digest; their consent records; the tombstones of erased
// addresses, which keep them suppressed) and the send ledger (who got which issue: exactly once). Both on demand, with
// point-in-time recovery; their schemas are the adapters' own, so the deployed tables are the tables tests run on.
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { LEDGER_TTL_ATTRIBUTE, ledgerTableDefinition } from '../functions/sending/dynamo-ledger.ts';
import { CONFIRMED_INDEX, TTL_ATTRIBUTE, tableDefinition } from '../functions/subscribers/dynamo-store.ts';

/** The key schema and indexes of a table definition (the CreateTable input an adapter exports), as CDK props. */
function schemaOf(definition: ReturnType<typeof tableDefinition>) {
  const types = new Map((definition.AttributeDefinitions ?? []).map((a) => [a.AttributeName, a.AttributeType]));
  const attribute = (name: string | undefined): dynamodb.Attribute => {
    const type = types.get(name);
    if (!name || !type) throw new Error(`The table definition has no attribute definition for ${name}`);
    return { name, type: type as dynamodb.AttributeType };
  };
  const keys = (schema: { AttributeName?: string; KeyType?: string }[] | undefined) => ({
    partitionKey: attribute(schema?.find((k) => k.KeyType === 'HASH')?.AttributeName),
    ...(schema?.some((k) => k.KeyType === 'RANGE')
      ? { sortKey: attribute(schema.find((k) => k.KeyType === 'RANGE')?.AttributeName) }
      : {}),
  });
  return {
    ...keys(definition.KeySchema),
    indexes: (definition.GlobalSecondaryIndexes ?? []).map((index) => {
      if (index.Projection?.ProjectionType !== 'ALL') throw new Error('Only ALL projections are mapped');
      return { indexName: index.IndexName ?? '', ...keys(index.KeySchema) };
    }),
  };
}

export class SubscriberTables extends Construct {
  /** Subscribers (`pk`), with the sparse index of confirmed ones by send shard. */
  readonly subscribers: dynamodb.Table;
  /** One entry per (issue, recipient hash). */
  readonly ledger: dynamodb.Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const subscribers = schemaOf(tableDefinition('subscribers'));
    this.subscribers = new dynamodb.Table(this, 'Subscribers', {
      partitionKey: subscribers.partitionKey,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Rate-limit counters expire; subscribers and tombstones carry no such attribute and stay.
      timeToLiveAttribute: TTL_ATTRIBUTE,
      // The list and its consent records are the newsroom's: neither a stack deletion nor a replacement drops it.
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of subscribers.indexes) this.subscribers.addGlobalSecondaryIndex(index);

    const ledger = schemaOf(ledgerTableDefinition('ledger'));
    this.ledger = new dynamodb.Table(this, 'Ledger', {
      partitionKey: ledger.partitionKey,
      ...(ledger.sortKey ? { sortKey: ledger.sortKey } : {}),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: LEDGER_TTL_ATTRIBUTE,
      // Working data of the sends in progress (entries expire after 120 days): it goes with the stack.
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }

  /** Item actions on subscribers (not on its index, which only the planner queries). */
  grantSubscriberItems(grantee: iam.IGrantable, ...actions: string[]): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions, resourceArns: [this.subscribers.tableArn] });
  }

  /** Queries of the sparse index of confirmed subscribers, shard by shard (the planner). */
  grantConfirmedQuery(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:Query'],
      resourceArns: [`${this.subscribers.tableArn}/index/${CONFIRMED_INDEX}`],
    });
  }

  /** Item actions on the send ledger. */
  grantLedgerItems(grantee: iam.IGrantable, ...actions: string[]): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions, resourceArns: [this.ledger.tableArn] });
  }
}
