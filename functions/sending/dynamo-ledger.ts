// The DynamoDB adapter of the send ledger: one item per (issue, recipient hash), moved on only by single-item
// conditional writes (no transactions, so it also runs on dynalite), and the report an operator reads after a send.
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { decodeCursor, encodeCursor } from '../storage/dynamo-cursor.ts';
import type { LedgerEntry, LedgerState, SendLedger } from './model.ts';

/**
 * Epoch seconds after which DynamoDB may delete an entry. The deployment (CDK) turns TTL on for this attribute; the
 * ledger never relies on it (TTL deletes days late, dynalite never), it only keeps the table from growing for ever.
 * An entry must outlive every redelivery and re-run of its issue, hence months, not days.
 */
export const LEDGER_TTL_ATTRIBUTE = 'expiresAt';
export const DEFAULT_RETENTION_DAYS = 120;

/** The table, as tests create it and the CDK will: hash key `issue`, range key `recipient` (a keyed hash). */
export function ledgerTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'issue', AttributeType: 'S' },
      { AttributeName: 'recipient', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'issue', KeyType: 'HASH' },
      { AttributeName: 'recipient', KeyType: 'RANGE' },
    ],
  };
}

const DEFAULT_PAGE = 1000;
const MAX_PAGE = 1000;
/** Rounds of claim that may each find an entry released between the failed write and the read. */
const CLAIM_ATTEMPTS = 3;
const DAY_SECONDS = 86_400;

const STATES = ['claimed', 'sent', 'failed', 'suppressed', 'no-topics'] as const satisfies readonly LedgerState[];

const LedgerItem = z.object({
  issue: z.string().min(1),
  recipient: z.string().min(1),
  state: z.enum(STATES),
  at: z.iso.datetime().transform((value) => new Date(value)),
  [LEDGER_TTL_ATTRIBUTE]: z.number().int(),
  messageId: z.string().min(1).optional(),
  reason: z.string().optional(),
});

/** What a cursor decodes to: the LastEvaluatedKey it was made from. */
const CursorKey = z.object({ issue: z.string(), recipient: z.string() }).strict();

const isConditionFailure = (error: unknown) =>
  (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';

export class DynamoSendLedger implements SendLedger {
  private readonly retentionSeconds: number;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: { retentionDays?: number } = {},
  ) {
    const days = options.retentionDays ?? DEFAULT_RETENTION_DAYS;
    if (!Number.isInteger(days) || days < 1) {
      throw new RangeError(`retentionDays must be a positive integer, not ${days}`);
    }
    this.retentionSeconds = days * DAY_SECONDS;
  }

  async claim(issueId: string, recipient: string, at: Date): Promise<'claimed' | LedgerEntry> {
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: this.item(issueId, recipient, 'claimed', at),
            ConditionExpression: 'attribute_not_exists(recipient)',
          }),
        );
        return 'claimed';
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
      const existing = await this.read(issueId, recipient);
      if (existing) return existing;
      // Released between our write and our read: the recipient is free again, so try to claim it once more.
    }
    throw new Error(`The ledger entry of ${recipient} in issue ${issueId} kept being claimed and released; try again`);
  }

  /** Idempotent: marking an entry sent again with the same messageId (a retried call) changes nothing. */
  async markSent(issueId: string, recipient: string, messageId: string, at: Date): Promise<void> {
    await this.settle(issueId, recipient, at, { state: 'sent', field: 'messageId', value: messageId });
  }

  /** Idempotent like markSent: marking an entry failed again with the same reason changes nothing. */
  async markFailed(issueId: string, recipient: string, reason: string, at: Date): Promise<void> {
    await this.settle(issueId, recipient, at, { state: 'failed', field: 'reason', value: reason });
  }

  async markSkipped(issueId: string, recipient: string, outcome: 'suppressed' | 'no-topics', at: Date): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: this.item(issueId, recipient, outcome, at),
          ConditionExpression: 'attribute_not_exists(recipient)',
        }),
      );
    } catch (error) {
      // Whatever is there already (a claim, a send, an earlier skip) says more than a skip would.
      if (!isConditionFailure(error)) throw error;
    }
  }

  async release(issueId: string, recipient: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { issue: issueId, recipient },
          ConditionExpression: '#s = :claimed',
          ExpressionAttributeNames: { '#s': 'state' },
          ExpressionAttributeValues: { ':claimed': 'claimed' },
        }),
      );
    } catch (error) {
      // No entry, or one that is no longer a claim (sent, failed, skipped): it must stay, so nothing to give back.
      if (!isConditionFailure(error)) throw error;
    }
  }

  /**
   * Strongly consistent, so a report right after a send sees every write. A page can be short and still have a
   * cursor. The cursor holds the last recipient hash read (base64url, not encrypted).
   */
  async entries(
    issueId: string,
    options: { cursor?: string; limit?: number },
  ): Promise<{ entries: LedgerEntry[]; cursor?: string }> {
    const start = options.cursor === undefined ? undefined : decodeCursor(options.cursor, CursorKey);
    if (start && start.issue !== issueId) throw new RangeError(`The cursor is not a cursor of issue ${issueId}`);
    const response = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'issue = :issue',
        ExpressionAttributeValues: { ':issue': issueId },
        ConsistentRead: true,
        Limit: pageLimit(options.limit),
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    const lastKey = response.LastEvaluatedKey;
    return {
      entries: (response.Items ?? []).map((item) => parseEntry(item, issueId)),
      ...(lastKey ? { cursor: encodeCursor(lastKey) } : {}),
    };
  }

  /** Moves a claim on to sent or failed; the same move made twice is a no-op, any other an error. */
  private async settle(
    issueId: string,
    recipient: string,
    at: Date,
    to: { state: 'sent'; field: 'messageId'; value: string } | { state: 'failed'; field: 'reason'; value: string },
  ): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { issue: issueId, recipient },
          UpdateExpression: 'SET #s = :state, #at = :at, #f = :value, #e = :expires',
          ConditionExpression: '#s = :claimed',
          ExpressionAttributeNames: { '#s': 'state', '#at': 'at', '#f': to.field, '#e': LEDGER_TTL_ATTRIBUTE },
          ExpressionAttributeValues: {
            ':state': to.state,
            ':at': at.toISOString(),
            ':value': to.value,
            ':expires': this.expiresAt(at),
            ':claimed': 'claimed',
          },
        }),
      );
      return;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const existing = await this.read(issueId, recipient);
    if (existing?.state === to.state && existing[to.field] === to.value) return;
    // Recipients are keyed hashes and the values are SES ids and error names: nothing here is an address.
    const found = existing ? `it is ${existing.state}` : 'there is no entry';
    throw new Error(`Cannot mark ${recipient} in issue ${issueId} ${to.state}: only a claim moves on, and ${found}`);
  }

  private async read(issueId: string, recipient: string): Promise<LedgerEntry | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { issue: issueId, recipient }, ConsistentRead: true }),
    );
    return Item ? parseEntry(Item, issueId) : undefined;
  }

  private item(issue: string, recipient: string, state: LedgerState, at: Date): Record<string, unknown> {
    return { issue, recipient, state, at: at.toISOString(), [LEDGER_TTL_ATTRIBUTE]: this.expiresAt(at) };
  }

  /** From the entry's own time, not the clock: the same call always writes the same item. */
  private expiresAt(at: Date): number {
    return Math.floor(at.getTime() / 1000) + this.retentionSeconds;
  }
}

export type LedgerReport = Record<LedgerState, number> & {
  /** Hashes of the recipients still `claimed`: a worker died between claim and SES's answer; never resent. */
  unknownRecipients: string[];
};

/** Counts an issue's entries by state, paging through the whole ledger of the issue. */
export async function ledgerReport(ledger: SendLedger, issueId: string): Promise<LedgerReport> {
  const report: LedgerReport = {
    claimed: 0,
    sent: 0,
    failed: 0,
    suppressed: 0,
    'no-topics': 0,
    unknownRecipients: [],
  };
  let cursor: string | undefined;
  do {
    const page = await ledger.entries(issueId, cursor === undefined ? {} : { cursor });
    for (const entry of page.entries) {
      report[entry.state]++;
      if (entry.state === 'claimed') report.unknownRecipients.push(entry.recipient);
    }
    cursor = page.cursor;
  } while (cursor !== undefined);
  report.unknownRecipients.sort();
  return report;
}

function parseEntry(item: Record<string, unknown>, issueId: string): LedgerEntry {
  const parsed = LedgerItem.safeParse(item);
  if (!parsed.success) throw new Error(`Corrupt ledger entry in issue ${issueId}: ${describeIssues(parsed.error)}`);
  const { issue, recipient, state, at, messageId, reason } = parsed.data;
  return {
    issueId: issue,
    recipient,
    state,
    at,
    ...(messageId === undefined ? {} : { messageId }),
    ...(reason === undefined ? {} : { reason }),
  };
}

/** Where and what, never the value. */
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
