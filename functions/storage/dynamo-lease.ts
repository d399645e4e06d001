// The DynamoDB adapter of the build lease (pipeline/lease.ts): one item per lease, moved only by single-item
// conditional writes, so it also runs on dynalite. Every step that must not race is one conditional write.
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Lease } from '../pipeline/lease.ts';

/**
 * Epoch seconds after which DynamoDB may delete a lease item. The CDK turns TTL on for it; the lease never relies on
 * it (an expired lease is taken over by `acquire` either way), it only clears the items of crashed holders.
 */
export const LEASE_TTL_ATTRIBUTE = 'expiresAt';

/** The table's one (hash) key, a string; the item of lease `name` is `lease#<name>`. */
export const LEASE_KEY = 'pk';

/** The table, as tests create it and the CDK does. */
export function leaseTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: LEASE_KEY, AttributeType: 'S' }],
    KeySchema: [{ AttributeName: LEASE_KEY, KeyType: 'HASH' }],
  };
}

const isConditionFailure = (error: unknown) =>
  (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';

// OWNER is a DynamoDB reserved word; the others are named the same way for one look.
const NAMES = { '#owner': 'owner', '#until': 'expiresAtMs', '#ttl': LEASE_TTL_ATTRIBUTE, '#dirty': 'dirty' };

/** Awaits a conditional write: true when it was applied, false when its condition did not hold. */
async function conditional(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

export class DynamoLease implements Lease {
  private readonly key: Record<string, string>;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    name: string,
  ) {
    this.key = { [LEASE_KEY]: `lease#${name}` };
  }

  async acquire(owner: string, now: Date, ttlMs: number): Promise<boolean> {
    const until = now.getTime() + ttlMs;
    return conditional(
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...this.key,
            owner,
            expiresAtMs: until,
            [LEASE_TTL_ATTRIBUTE]: Math.ceil(until / 1000),
            dirty: false,
          },
          ConditionExpression: `attribute_not_exists(${LEASE_KEY}) OR #until < :now OR #owner = :owner`,
          ExpressionAttributeNames: { '#owner': NAMES['#owner'], '#until': NAMES['#until'] },
          ExpressionAttributeValues: { ':now': now.getTime(), ':owner': owner },
        }),
      ),
    );
  }

  async markDirty(now: Date): Promise<boolean> {
    // Only a live holder will look at the mark; on a missing or expired lease the caller must take it instead.
    return conditional(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key,
          UpdateExpression: 'SET #dirty = :true',
          ConditionExpression: `attribute_exists(${LEASE_KEY}) AND #until >= :now`,
          ExpressionAttributeNames: { '#dirty': NAMES['#dirty'], '#until': NAMES['#until'] },
          ExpressionAttributeValues: { ':true': true, ':now': now.getTime() },
        }),
      ),
    );
  }

  async takeDirty(owner: string, now: Date, ttlMs: number): Promise<boolean> {
    const until = now.getTime() + ttlMs;
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key,
          UpdateExpression: 'SET #dirty = :false, #until = :until, #ttl = :ttl',
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: NAMES,
          ExpressionAttributeValues: {
            ':false': false,
            ':until': until,
            ':ttl': Math.ceil(until / 1000),
            ':owner': owner,
          },
          ReturnValues: 'UPDATED_OLD',
        }),
      );
      return Attributes?.dirty === true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async release(owner: string): Promise<boolean> {
    const released = await conditional(
      this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: this.key,
          // One write: a mark set a moment before is seen here, one set a moment after finds no item.
          ConditionExpression: '#owner = :owner AND (attribute_not_exists(#dirty) OR #dirty = :false)',
          ExpressionAttributeNames: { '#owner': NAMES['#owner'], '#dirty': NAMES['#dirty'] },
          ExpressionAttributeValues: { ':owner': owner, ':false': false },
        }),
      ),
    );
    if (released) return true;
    // Which half failed? Only `owner` itself can make the item ours again or clear its mark, so this read decides.
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: this.key, ConsistentRead: true }),
    );
    return !(Item?.owner === owner && Item.dirty === true);
  }

  async abandon(owner: string): Promise<void> {
    await conditional(
      this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: this.key,
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': NAMES['#owner'] },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      ),
    );
  }
}
