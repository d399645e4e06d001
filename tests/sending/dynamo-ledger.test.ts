import { createHash } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoSendLedger, LEDGER_TTL_ATTRIBUTE, ledgerReport } from '../../functions/sending/dynamo-ledger.ts';
import type { LedgerEntry } from '../../functions/sending/model.ts';
import { testDocumentClient } from '../support/dynamo.ts';
import { newLedgerTable } from '../support/ledger.ts';

const client = testDocumentClient();

async function newLedger(
  options: { retentionDays?: number } = {},
): Promise<{ ledger: DynamoSendLedger; table: string }> {
  const table = await newLedgerTable(client);
  return { ledger: new DynamoSendLedger(client, table, options), table };
}

const t0 = new Date('2026-11-02T08:00:00.000Z');
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);
/** Stands in for the keyed hash of an address: the ledger only ever sees hashes. */
const hashOf = (name: string) => createHash('sha256').update(name).digest('hex');
const ada = hashOf('ada');
const issue = '2026-11-02';

async function allEntries(ledger: DynamoSendLedger, issueId: string, limit?: number) {
  const entries: LedgerEntry[] = [];
  let pages = 0;
  let cursor: string | undefined;
  do {
    const page = await ledger.entries(issueId, { ...(limit ? { limit } : {}), ...(cursor ? { cursor } : {}) });
    entries.push(...page.entries);
    cursor = page.cursor;
    pages++;
  } while (cursor);
  return { entries, pages };
}

async function rawItem(table: string, issueId: string, recipient: string) {
  const { Item } = await client.send(
    new GetCommand({ TableName: table, Key: { issue: issueId, recipient }, ConsistentRead: true }),
  );
  return Item;
}

describe('DynamoSendLedger: claim', () => {
  it('claims a free recipient, and answers a second claim with the entry already there', async () => {
    const { ledger } = await newLedger();
    expect(await ledger.claim(issue, ada, at(0))).toBe('claimed');
    expect(await ledger.claim(issue, ada, at(1))).toEqual({
      issueId: issue,
      recipient: ada,
      state: 'claimed',
      at: at(0),
    });
  });

  it('lets exactly one of 30 concurrent claims of one recipient win', async () => {
    const { ledger } = await newLedger();
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => ledger.claim(issue, ada, at(i))));
    expect(results.filter((result) => result === 'claimed')).toHaveLength(1);
    for (const result of results.filter((r) => r !== 'claimed')) {
      expect(result).toMatchObject({ issueId: issue, recipient: ada, state: 'claimed' });
    }
  });

  it('answers a claim of a sent recipient with the sent entry and its messageId', async () => {
    const { ledger } = await newLedger();
    await ledger.claim(issue, ada, at(0));
    await ledger.markSent(issue, ada, 'ses-0001', at(1));
    expect(await ledger.claim(issue, ada, at(2))).toEqual({
      issueId: issue,
      recipient: ada,
      state: 'sent',
      at: at(1),
      messageId: 'ses-0001',
    });
  });

  it('rejects a retention that is not a positive whole number of days', () => {
    expect(() => new DynamoSendLedger(client, 'any', { retentionDays: 0 })).toThrow(RangeError);
    expect(() => new DynamoSendLedger(client, 'any', { retentionDays: 1.5 })).toThrow(RangeError);
  });
});

describe('DynamoSendLedger: markSent and markFailed', () => {
  it('treats marking the same entry sent twice with the same messageId as a no-op', async () => {
    const { ledger } = await newLedger();
    await ledger.claim(issue, ada, at(0));
    await ledger.markSent(issue, ada, 'ses-0001', at(1));
    await ledger.markSent(issue, ada, 'ses-0001', at(2));
    expect(await ledger.claim(issue, ada, at(3))).toMatchObject({ state: 'sent', at: at(1), messageId: 'ses-0001' });
  });

  it('refuses to mark a sent entry sent with another messageId, naming the state and not the value', async () => {
    const { ledger } = await newLedger();
    await ledger.claim(issue, ada, at(0));
    await ledger.markSent(issue, ada, 'ses-0001', at(1));
    await expect(ledger.markSent(issue, ada, 'ses-0002', at(2))).rejects.toThrow(
      /only a claim moves on, and it is sent/,
    );
    expect(await ledger.claim(issue, ada, at(3))).toMatchObject({ messageId: 'ses-0001' });
  });

  it('refuses to mark an entry that was never claimed', async () => {
    const { ledger } = await newLedger();
    await expect(ledger.markSent(issue, ada, 'ses-0001', at(1))).rejects.toThrow(/there is no entry/);
    await expect(ledger.markFailed(issue, ada, 'MessageRejected', at(1))).rejects.toThrow(/there is no entry/);
  });

  it('records a failure with its reason, and a failed entry is never marked sent', async () => {
    const { ledger } = await newLedger();
    await ledger.claim(issue, ada, at(0));
    await ledger.markFailed(issue, ada, 'MessageRejected', at(1));
    await ledger.markFailed(issue, ada, 'MessageRejected', at(2));
    expect(await ledger.claim(issue, ada, at(3))).toEqual({
      issueId: issue,
      recipient: ada,
      state: 'failed',
      at: at(1),
      reason: 'MessageRejected',
    });
    await expect(ledger.markSent(issue, ada, 'ses-0001', at(4))).rejects.toThrow(/it is failed/);
  });
});

describe('DynamoSendLedger: markSkipped', () => {
  it('never overwrites a sent entry', async () => {
    const { ledger } = await newLedger();
    await ledger.claim(issue, ada, at(0));
    await ledger.markSent(issue, ada, 'ses-0001', at(1));
    await ledger.markSkipped(issue, ada, 'suppressed', at(2));
    expect(await ledger.claim(issue, ada, at(3))).toMatchObject({ state: 'sent', messageId: 'ses-0001' });
  });

  it('makes a later claim answer with the skip', async () => {
    const { ledger } = await newLedger();
    await ledger.markSkipped(issue, ada, 'no-topics', at(0));
    await ledger.markSkipped(issue, ada, 'suppressed', at(1));
    expect(await ledger.claim(issue, ada, at(2))).toEqual({
      issueId: issue,
      recipient: ada,
      state: 'no-topics',
      at: at(0),
    });
  });
});

describe('DynamoSendLedger: release', () => {
  it('gives a claim back, so the recipient can be claimed again', async () => {
    const { ledger, table } = await newLedger();
    await ledger.claim(issue, ada, at(0));
    await ledger.release(issue, ada);
    expect(await rawItem(table, issue, ada)).toBeUndefined();
    expect(await ledger.claim(issue, ada, at(1))).toBe('claimed');
  });

  it('leaves a sent, failed or skipped entry in place, silently', async () => {
    const { ledger } = await newLedger();
    const sent = hashOf('sent');
    const failed = hashOf('failed');
    const skipped = hashOf('skipped');
    const absent = hashOf('absent');
    await ledger.claim(issue, sent, at(0));
    await ledger.markSent(issue, sent, 'ses-0001', at(1));
    await ledger.claim(issue, failed, at(0));
    await ledger.markFailed(issue, failed, 'MessageRejected', at(1));
    await ledger.markSkipped(issue, skipped, 'suppressed', at(0));
    for (const recipient of [sent, failed, skipped, absent]) await ledger.release(issue, recipient);
    expect(await ledger.claim(issue, sent, at(2))).toMatchObject({ state: 'sent' });
    expect(await ledger.claim(issue, failed, at(2))).toMatchObject({ state: 'failed' });
    expect(await ledger.claim(issue, skipped, at(2))).toMatchObject({ state: 'suppressed' });
  });
});

describe('DynamoSendLedger: entries', () => {
  it('pages through 2,500 entries a thousand at a time, each exactly once', async () => {
    const { ledger } = await newLedger();
    const recipients = Array.from({ length: 2500 }, (_, i) => hashOf(`r${i}`));
    for (let i = 0; i < recipients.length; i += 100) {
      await Promise.all(recipients.slice(i, i + 100).map((recipient) => ledger.claim(issue, recipient, at(0))));
    }
    const { entries, pages } = await allEntries(ledger, issue, 1000);
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(entries).toHaveLength(2500);
    expect(new Set(entries.map((entry) => entry.recipient))).toEqual(new Set(recipients));
  });

  it('keeps issues apart', async () => {
    const { ledger } = await newLedger();
    const grace = hashOf('grace');
    await ledger.claim('issue-a', ada, at(0));
    await ledger.markSkipped('issue-b', grace, 'no-topics', at(0));
    expect(await ledger.claim('issue-b', ada, at(1))).toBe('claimed');
    expect((await allEntries(ledger, 'issue-a')).entries.map((e) => e.recipient)).toEqual([ada]);
    expect((await allEntries(ledger, 'issue-b')).entries.map((e) => e.recipient).sort()).toEqual([ada, grace].sort());
    expect((await allEntries(ledger, 'issue-c')).entries).toEqual([]);
  });

  it('rejects a malformed cursor, a cursor of another issue and a limit out of range', async () => {
    const { ledger } = await newLedger();
    await ledger.claim('issue-a', ada, at(0));
    await ledger.claim('issue-a', hashOf('grace'), at(0));
    const { cursor } = await ledger.entries('issue-a', { limit: 1 });
    expect(cursor).toBeDefined();
    await expect(ledger.entries('issue-b', { cursor: cursor as string })).rejects.toThrow(RangeError);
    await expect(ledger.entries('issue-a', { cursor: 'not a cursor!' })).rejects.toThrow(RangeError);
    const notAKey = Buffer.from(JSON.stringify({ pk: 'x' })).toString('base64url');
    await expect(ledger.entries('issue-a', { cursor: notAKey })).rejects.toThrow(RangeError);
    await expect(ledger.entries('issue-a', { limit: 1001 })).rejects.toThrow(RangeError);
  });

  it('reports a corrupt item by field, without its values', async () => {
    const { ledger, table } = await newLedger();
    await client.send(
      new PutCommand({ TableName: table, Item: { issue, recipient: 'ada@example.org', state: 'mailed', at: 'x' } }),
    );
    const reading = ledger.entries(issue, {});
    await expect(reading).rejects.toThrow(/Corrupt ledger entry in issue 2026-11-02: state: .*; at: /);
    await expect(reading).rejects.not.toThrow(/ada@example\.org|mailed/);
  });
});

describe('DynamoSendLedger: expiry', () => {
  it('sets expiresAt retentionDays after the entry, 120 by default', async () => {
    const defaults = await newLedger();
    await defaults.ledger.claim(issue, ada, at(0));
    const claimed = await rawItem(defaults.table, issue, ada);
    expect(claimed?.[LEDGER_TTL_ATTRIBUTE]).toBe(t0.getTime() / 1000 + 120 * 86_400);

    await defaults.ledger.markSent(issue, ada, 'ses-0001', at(60));
    const sent = await rawItem(defaults.table, issue, ada);
    expect(sent?.[LEDGER_TTL_ATTRIBUTE]).toBe(at(60).getTime() / 1000 + 120 * 86_400);

    const short = await newLedger({ retentionDays: 30 });
    await short.ledger.markSkipped(issue, ada, 'suppressed', at(0));
    const skipped = await rawItem(short.table, issue, ada);
    expect(skipped?.[LEDGER_TTL_ATTRIBUTE]).toBe(t0.getTime() / 1000 + 30 * 86_400);
  });
});

describe('ledgerReport', () => {
  it('counts the entries of an issue by state and lists the recipients still claimed', async () => {
    const { ledger } = await newLedger();
    const [sent1, sent2, failed, lost1, lost2] = [hashOf('s1'), hashOf('s2'), hashOf('f'), hashOf('l1'), hashOf('l2')];
    const [suppressed, quiet1, quiet2] = [hashOf('x'), hashOf('q1'), hashOf('q2')];
    for (const recipient of [sent1, sent2, failed, lost1, lost2]) await ledger.claim(issue, recipient, at(0));
    await ledger.markSent(issue, sent1, 'ses-1', at(1));
    await ledger.markSent(issue, sent2, 'ses-2', at(1));
    await ledger.markFailed(issue, failed, 'MessageRejected', at(1));
    await ledger.markSkipped(issue, suppressed, 'suppressed', at(0));
    await ledger.markSkipped(issue, quiet1, 'no-topics', at(0));
    await ledger.markSkipped(issue, quiet2, 'no-topics', at(0));
    await ledger.claim('another-issue', hashOf('elsewhere'), at(0));

    expect(await ledgerReport(ledger, issue)).toEqual({
      claimed: 2,
      sent: 2,
      failed: 1,
      suppressed: 1,
      'no-topics': 2,
      unknownRecipients: [lost1, lost2].sort(),
    });
  });

  it('pages through every entry of a large issue', async () => {
    const { ledger } = await newLedger();
    const recipients = Array.from({ length: 1200 }, (_, i) => hashOf(`r${i}`));
    for (let i = 0; i < recipients.length; i += 100) {
      await Promise.all(
        recipients.slice(i, i + 100).map((recipient) => ledger.markSkipped(issue, recipient, 'no-topics', at(0))),
      );
    }
    await ledger.claim(issue, hashOf('late'), at(1));
    const report = await ledgerReport(ledger, issue);
    expect(report['no-topics']).toBe(1200);
    expect(report.unknownRecipients).toEqual([hashOf('late')]);
  });
});
