// DynamoDB clients and tables (subscribers, leases) for tests, against the dynalite stand-in started by global-setup.ts.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { leaseTableDefinition } from '../../functions/storage/dynamo-lease.ts';
import { tableDefinition } from '../../functions/subscribers/dynamo-store.ts';

/** A document client for dynalite, with fake credentials. */
export function testDocumentClient(endpoint = inject('dynamoEndpoint')): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }),
  );
}

/**
 * A new, empty subscriber table (the store's own definition) with a unique name, so tests never share state. Waits
 * until it and its index are ACTIVE: even with createTableMs 0 dynalite answers CREATING at first, and the SDK's
 * waiter would sleep 20 s before looking again.
 */
export function newSubscriberTable(client: DynamoDBDocumentClient, label = 'subscribers'): Promise<string> {
  return newTable(client, label, tableDefinition);
}

/** A new, empty lease table (functions/storage/dynamo-lease.ts) with a unique name. */
export function newLeaseTable(client: DynamoDBDocumentClient, label = 'leases'): Promise<string> {
  return newTable(client, label, leaseTableDefinition);
}

async function newTable(
  client: DynamoDBDocumentClient,
  label: string,
  definition: (name: string) => CreateTableCommandInput,
): Promise<string> {
  const name = `${label}-${randomUUID().slice(0, 8)}`;
  await client.send(new CreateTableCommand(definition(name)));
  for (let attempt = 0; attempt < 200; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    const indexes = Table?.GlobalSecondaryIndexes ?? [];
    if (Table?.TableStatus === 'ACTIVE' && indexes.every((index) => index.IndexStatus === 'ACTIVE')) return name;
    await sleep(5);
  }
  throw new Error(`Table ${name} did not become ACTIVE`);
}
