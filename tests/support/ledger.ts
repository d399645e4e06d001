// Send-ledger tables for tests, against the dynalite stand-in started by global-setup.ts.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ledgerTableDefinition } from '../../functions/sending/dynamo-ledger.ts';

/**
 * A new, empty ledger table (the ledger's own definition) with a unique name, so tests never share state. Polls until
 * it is ACTIVE: dynalite answers CREATING at first, and the SDK's waiter would sleep 20 s before looking again.
 */
export async function newLedgerTable(client: DynamoDBDocumentClient, label = 'ledger'): Promise<string> {
  const name = `${label}-${randomUUID().slice(0, 8)}`;
  await client.send(new CreateTableCommand(ledgerTableDefinition(name)));
  for (let attempt = 0; attempt < 200; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    if (Table?.TableStatus === 'ACTIVE') return name;
    await sleep(5);
  }
  throw new Error(`Table ${name} did not become ACTIVE`);
}
