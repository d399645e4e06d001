// The DynamoDB adapter of the subscriber store: one table, single-item conditional writes only (no transactions, so
// it also runs on dynalite), laid out so the sender reads only confirmed subscribers, a shard at a time.
import { createHash } from 'node:crypto';
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { decodeCursor, encodeCursor } from '../storage/dynamo-cursor.ts';
import type { Subscriber, SubscriberPage, SubscriberStatus, SubscriberStore } from './model.ts';
import { WriteConflict } from './model.ts';

/**
 * The table, as tests create it and the CDK will. One hash key `pk`, three kinds of item:
 * - `sub#<address>`: a subscriber, every field (dates as ISO strings); while confirmed, and only then, `sendShard`
 *   ("0".."shards-1", from a hash of the address), which puts it in the sparse GSI `confirmed` (sendShard, address);
 * - `hit#<key>`: a rate-limit counter, `count` and `expiresAt` (epoch seconds). The CDK must turn TTL on for
 *   `expiresAt` (TTL_ATTRIBUTE); the store does not rely on it, as TTL deletes late (and dynalite not at all);
 * - `gone#<hash>`: the tombstone of an erased address, `status` and `erasedAt`.
 */
export const CONFIRMED_INDEX = 'confirmed';
export const TTL_ATTRIBUTE = 'expiresAt';
export const DEFAULT_SHARDS = 16;

export function tableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sendShard', AttributeType: 'S' },
      { AttributeName: 'address', AttributeType: 'S' },
    ],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    GlobalSecondaryIndexes: [
      {
        IndexName: CONFIRMED_INDEX,
        KeySchema: [
          { AttributeName: 'sendShard', KeyType: 'HASH' },
          { AttributeName: 'address', KeyType: 'RANGE' },
        ],
        // ALL: the sender needs topics and the rest of the record, and a page then costs one query, no GetItem.
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}

const DEFAULT_PAGE = 500;
const MAX_PAGE = 1000;
/** Rounds of erase that may each find the subscriber changed under them before erase gives up. */
const ERASE_ATTEMPTS = 3;

const subscriberKey = (address: string) => `sub#${address}`;
const hitKey = (key: string) => `hit#${key}`;
const tombstoneKey = (hash: string) => `gone#${hash}`;

/** Stands for an item's key in an error message: a log line must never hold an address. */
const keyDigest = (pk: string) => createHash('sha256').update(pk).digest('hex').slice(0, 16);

const isConditionFailure = (error: unknown) =>
  (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';

const STATUSES = ['pending', 'confirmed', 'unsubscribed', 'bounced', 'complained'] as const;
const Status = z.enum(STATUSES);
const isoDate = z.iso.datetime().transform((value) => new Date(value));

const SubscriberItem = z.object({
  pk: z.string(),
  address: z.string().min(1),
  status: Status,
  topics: z.array(z.string()),
  consent: z.object({
    at: isoDate,
    source: z.string(),
    ip: z.string().optional(),
    userAgent: z.string().optional(),
  }),
  createdAt: isoDate,
  updatedAt: isoDate,
  confirmedAt: isoDate.optional(),
  confirmationSentAt: isoDate.optional(),
  softBounces: z.number().int().nonnegative(),
  version: z.number().int().positive(),
  sendShard: z.string().optional(),
});

const TombstoneItem = z.object({ status: Status, erasedAt: z.string() });

/** What a cursor decodes to: the LastEvaluatedKey it was made from, string attributes only. */
const CursorKey = z.record(z.string(), z.string());

export class DynamoSubscriberStore implements SubscriberStore {
  readonly shards: number;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: { shards?: number } = {},
  ) {
    const shards = options.shards ?? DEFAULT_SHARDS;
    if (!Number.isInteger(shards) || shards < 1 || shards > 1000) {
      throw new RangeError(`shards must be an integer from 1 to 1000, not ${shards}`);
    }
    // Every writer and the sender must agree on it: a change means saving every confirmed subscriber again.
    this.shards = shards;
  }

  /** The shard a confirmed subscriber is listed under: stable for an address while `shards` stays the same. */
  shardOf(address: string): number {
    return createHash('sha256').update(address).digest().readUInt32BE(0) % this.shards;
  }

  async get(address: string): Promise<Subscriber | undefined> {
    const pk = subscriberKey(address);
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk }, ConsistentRead: true }),
    );
    return Item ? parseSubscriber(Item) : undefined;
  }

  /**
   * Many subscribers in as few requests as DynamoDB allows (BatchGetItem, 100 keys each, consistent reads), retrying
   * the keys it leaves unprocessed: the sender's one read per batch.
   */
  async getMany(addresses: readonly string[]): Promise<Map<string, Subscriber>> {
    const found = new Map<string, Subscriber>();
    const unique = [...new Set(addresses)];
    for (let start = 0; start < unique.length; start += 100) {
      let keys: Record<string, unknown>[] = unique
        .slice(start, start + 100)
        .map((address) => ({ pk: subscriberKey(address) }));
      for (let attempt = 0; keys.length > 0; attempt += 1) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
        if (attempt > 8) throw new Error('DynamoDB kept leaving keys of a batch read unprocessed');
        const { Responses, UnprocessedKeys } = await this.client.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }),
        );
        for (const item of Responses?.[this.tableName] ?? []) {
          const subscriber = parseSubscriber(item);
          found.set(subscriber.address, subscriber);
        }
        keys = (UnprocessedKeys?.[this.tableName]?.Keys as Record<string, unknown>[] | undefined) ?? [];
      }
    }
    return found;
  }

  async save(next: Subscriber, expectedVersion: number | undefined): Promise<void> {
    if (next.version !== (expectedVersion ?? 0) + 1) {
      throw new Error(
        `A subscriber read at version ${expectedVersion ?? 'none'} must be saved at version ${(expectedVersion ?? 0) + 1}, not ${next.version}`,
      );
    }
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: this.toItem(next),
          ...(expectedVersion === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: '#v = :expected',
                ExpressionAttributeNames: { '#v': 'version' },
                ExpressionAttributeValues: { ':expected': expectedVersion },
              }),
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) {
        throw new WriteConflict('Not saved: the subscriber changed since it was read', { cause: error });
      }
      throw error;
    }
  }

  /**
   * Reads the GSI, so a page may lag a write by a moment (GSIs are eventually consistent). A page can be short, even
   * empty, and still have a cursor. The cursor holds the last address read (base64url, not encrypted): pass it on,
   * never log it.
   */
  async confirmedPage(shard: number, options: { cursor?: string; limit?: number }): Promise<SubscriberPage> {
    if (!Number.isInteger(shard) || shard < 0 || shard >= this.shards) {
      throw new RangeError(`shard must be an integer from 0 to ${this.shards - 1}, not ${shard}`);
    }
    const sendShard = String(shard);
    const start = options.cursor === undefined ? undefined : decodeCursor(options.cursor, CursorKey);
    if (start && !(hasKeys(start, ['address', 'pk', 'sendShard']) && start.sendShard === sendShard)) {
      throw new RangeError(`The cursor is not a cursor of shard ${shard}`);
    }
    const response = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: CONFIRMED_INDEX,
        KeyConditionExpression: 'sendShard = :shard',
        ExpressionAttributeValues: { ':shard': sendShard },
        Limit: pageLimit(options.limit),
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    return page(response.Items, response.LastEvaluatedKey);
  }

  /** A full scan, with the rate-limit counters and tombstones filtered out: a page can be short, even empty. */
  async scanPage(options: { cursor?: string; limit?: number }): Promise<SubscriberPage> {
    const start = options.cursor === undefined ? undefined : decodeCursor(options.cursor, CursorKey);
    if (start && !hasKeys(start, ['pk'])) throw new RangeError('The cursor is not a scan cursor');
    const response = await this.client.send(
      new ScanCommand({
        TableName: this.tableName,
        FilterExpression: 'begins_with(pk, :prefix)',
        ExpressionAttributeValues: { ':prefix': 'sub#' },
        Limit: pageLimit(options.limit),
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    return page(response.Items, response.LastEvaluatedKey);
  }

  /**
   * A fixed window per key, starting at its first hit. Usually one UpdateItem: it counts the hit if the window is
   * new, live and under the limit, or over (expired but not yet deleted: TTL deletes up to days late, dynalite never).
   * Only the first hit after a window ended takes a second request, which starts a new window (count 1) if the record
   * is still expired: DynamoDB cannot choose between "count + 1" and "1" inside one update expression.
   */
  async hit(key: string, limit: number, expiresAt: Date, at: Date = new Date()): Promise<boolean> {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, not ${limit}`);
    const pk = hitKey(key);
    const expires = Math.ceil(expiresAt.getTime() / 1000);
    for (let round = 0; round < 3; round++) {
      const now = Math.floor(at.getTime() / 1000);
      let counted: Record<string, unknown> | undefined;
      try {
        ({ Attributes: counted } = await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk },
            UpdateExpression: 'ADD #c :one SET #e = if_not_exists(#e, :exp)',
            ConditionExpression: 'attribute_not_exists(#c) OR #c < :limit OR #e <= :now',
            ExpressionAttributeNames: { '#c': 'count', '#e': TTL_ATTRIBUTE },
            ExpressionAttributeValues: { ':one': 1, ':exp': expires, ':limit': limit, ':now': now },
            ReturnValues: 'ALL_NEW',
          }),
        ));
      } catch (error) {
        if (isConditionFailure(error)) return false; // a live window at its limit
        throw error;
      }
      const windowEnd = counted?.[TTL_ATTRIBUTE];
      if (typeof windowEnd !== 'number' || windowEnd > now) return true; // counted within a live window
      try {
        // The window had ended: start a new one, unless another hit started it first (or TTL deleted the record).
        await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk },
            UpdateExpression: 'SET #c = :one, #e = :exp',
            ConditionExpression: '#e <= :now',
            ExpressionAttributeNames: { '#c': 'count', '#e': TTL_ATTRIBUTE },
            ExpressionAttributeValues: { ':one': 1, ':exp': expires, ':now': now },
          }),
        );
        return true;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        // Someone else started the new window: count this hit in it, from the top.
      }
    }
    throw new Error('A rate-limit record kept being reset under this hit; try again');
  }

  async tombstone(hash: string): Promise<SubscriberStatus | undefined> {
    const pk = tombstoneKey(hash);
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk }, ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const parsed = TombstoneItem.safeParse(Item);
    if (!parsed.success) throw new Error(`Corrupt tombstone ${hash}: ${describeIssues(parsed.error)}`);
    return parsed.data.status;
  }

  /**
   * Tombstone first, then delete the subscriber: a crash between the two leaves the subscriber and its tombstone
   * (signUp looks at the subscriber first, so nothing changes for the person), and running erase again completes it.
   * The delete is conditional on the version read, so a change in between (a bounce arriving) is erased with the
   * status it ends up in.
   */
  async erase(address: string, hash: string): Promise<'erased' | 'absent'> {
    for (let attempt = 0; attempt < ERASE_ATTEMPTS; attempt++) {
      const current = await this.get(address);
      if (!current) return 'absent';
      const status = current.status === 'bounced' || current.status === 'complained' ? current.status : 'unsubscribed';
      await this.putTombstone(hash, status);
      try {
        await this.client.send(
          new DeleteCommand({
            TableName: this.tableName,
            Key: { pk: subscriberKey(address) },
            ConditionExpression: '#v = :version',
            ExpressionAttributeNames: { '#v': 'version' },
            ExpressionAttributeValues: { ':version': current.version },
          }),
        );
        return 'erased';
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    }
    throw new WriteConflict('Not erased: the subscriber kept changing while it was being erased');
  }

  /** Writes a tombstone; an "unsubscribed" one never replaces a suppression (bounced, complained) already there. */
  private async putTombstone(hash: string, status: SubscriberStatus): Promise<void> {
    const keepsSuppression = status !== 'bounced' && status !== 'complained';
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: tombstoneKey(hash), status, erasedAt: new Date().toISOString() },
          ...(keepsSuppression
            ? {
                ConditionExpression: 'attribute_not_exists(#s) OR NOT (#s IN (:bounced, :complained))',
                ExpressionAttributeNames: { '#s': 'status' },
                ExpressionAttributeValues: { ':bounced': 'bounced', ':complained': 'complained' },
              }
            : {}),
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  private toItem(subscriber: Subscriber): Record<string, unknown> {
    const { consent } = subscriber;
    return {
      pk: subscriberKey(subscriber.address),
      address: subscriber.address,
      status: subscriber.status,
      topics: [...subscriber.topics],
      consent: {
        at: consent.at.toISOString(),
        source: consent.source,
        ...(consent.ip === undefined ? {} : { ip: consent.ip }),
        ...(consent.userAgent === undefined ? {} : { userAgent: consent.userAgent }),
      },
      createdAt: subscriber.createdAt.toISOString(),
      updatedAt: subscriber.updatedAt.toISOString(),
      ...(subscriber.confirmedAt ? { confirmedAt: subscriber.confirmedAt.toISOString() } : {}),
      ...(subscriber.confirmationSentAt ? { confirmationSentAt: subscriber.confirmationSentAt.toISOString() } : {}),
      softBounces: subscriber.softBounces,
      version: subscriber.version,
      // Sparse: only a confirmed subscriber is in the index the sender reads.
      ...(subscriber.status === 'confirmed' ? { sendShard: String(this.shardOf(subscriber.address)) } : {}),
    };
  }
}

function parseSubscriber(item: Record<string, unknown>): Subscriber {
  const pk = typeof item.pk === 'string' ? item.pk : '';
  const parsed = SubscriberItem.safeParse(item);
  if (!parsed.success || parsed.data.pk !== subscriberKey(parsed.data.address)) {
    const reason = parsed.success ? 'pk does not match address' : describeIssues(parsed.error);
    throw new Error(`Corrupt subscriber item ${keyDigest(pk)} (sha256 of pk): ${reason}`);
  }
  const { pk: _pk, sendShard: _shard, consent, confirmedAt, confirmationSentAt, ...fields } = parsed.data;
  return {
    ...fields,
    consent: {
      at: consent.at,
      source: consent.source,
      ...(consent.ip === undefined ? {} : { ip: consent.ip }),
      ...(consent.userAgent === undefined ? {} : { userAgent: consent.userAgent }),
    },
    ...(confirmedAt ? { confirmedAt } : {}),
    ...(confirmationSentAt ? { confirmationSentAt } : {}),
  };
}

/** Where and what, never the value: an item's values may be an address. */
function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(item)'}: ${issue.code}`).join('; ');
}

function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw new RangeError(`limit must be an integer from 1 to ${MAX_PAGE}, not ${limit}`);
  }
  return limit;
}

function page(items: Record<string, unknown>[] | undefined, lastKey: Record<string, unknown> | undefined) {
  return {
    subscribers: (items ?? []).map(parseSubscriber),
    ...(lastKey ? { cursor: encodeCursor(lastKey) } : {}),
  };
}

const hasKeys = (key: Record<string, string>, names: string[]) => Object.keys(key).sort().join() === names.join();
