import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoSubscriberStore } from '../../functions/subscribers/dynamo-store.ts';
import { chooseTopics, confirm, feedback, signUp, unsubscribe } from '../../functions/subscribers/lifecycle.ts';
import type { Subscriber, SubscriberStatus, SubscriberStore } from '../../functions/subscribers/model.ts';
import { WriteConflict } from '../../functions/subscribers/model.ts';
import { newSubscriberTable, testDocumentClient } from '../support/dynamo.ts';

const client = testDocumentClient();

async function newStore(): Promise<{ store: DynamoSubscriberStore; table: string }> {
  const table = await newSubscriberTable(client);
  return { store: new DynamoSubscriberStore(client, table), table };
}

const t0 = new Date('2026-11-02T08:00:00.000Z');
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);

function subscriber(address: string, fields: Partial<Subscriber> = {}): Subscriber {
  return {
    address,
    status: 'pending',
    topics: [],
    consent: { at: t0, source: 'form' },
    createdAt: t0,
    updatedAt: t0,
    softBounces: 0,
    version: 1,
    ...fields,
  };
}

async function confirmedPages(store: SubscriberStore, limit: number): Promise<{ addresses: string[]; pages: number }> {
  const addresses: string[] = [];
  let pages = 0;
  for (let shard = 0; shard < store.shards; shard++) {
    let cursor: string | undefined;
    do {
      const page = await store.confirmedPage(shard, { limit, ...(cursor ? { cursor } : {}) });
      expect(page.subscribers.length).toBeLessThanOrEqual(limit);
      for (const s of page.subscribers) expect(s.status).toBe('confirmed');
      addresses.push(...page.subscribers.map((s) => s.address));
      cursor = page.cursor;
      pages++;
    } while (cursor);
  }
  return { addresses, pages };
}

describe('DynamoSubscriberStore: save and get', () => {
  it('reads back every field of a saved subscriber, dates as dates', async () => {
    const { store } = await newStore();
    const full = subscriber('ada@example.org', {
      status: 'confirmed',
      topics: ['aws', 'rust'],
      consent: { at: at(1), source: 'form', ip: '203.0.113.9', userAgent: 'Mozilla/5.0' },
      createdAt: at(1),
      updatedAt: at(5),
      confirmedAt: at(5),
      confirmationSentAt: at(1),
      softBounces: 2,
      version: 1,
    });
    await store.save(full, undefined);
    expect(await store.get('ada@example.org')).toEqual(full);
  });

  it('leaves optional fields absent rather than undefined, and an empty topic list empty', async () => {
    const { store } = await newStore();
    const minimal = subscriber('bob@example.org', { consent: { at: t0, source: 'import:crm' } });
    await store.save(minimal, undefined);
    const read = await store.get('bob@example.org');
    expect(read).toEqual(minimal);
    expect(read && Object.keys(read)).not.toContain('confirmedAt');
    expect(read && Object.keys(read.consent)).toEqual(['at', 'source']);
    expect(read?.topics).toEqual([]);
  });

  it('answers undefined for an unknown address', async () => {
    const { store } = await newStore();
    expect(await store.get('nobody@example.org')).toBeUndefined();
  });

  it('rejects a corrupt item naming a digest of its key, not the address', async () => {
    const { store, table } = await newStore();
    await client.send(
      new PutCommand({ TableName: table, Item: { pk: 'sub#eve@example.org', address: 'eve@example.org', version: 1 } }),
    );
    const error = await store.get('eve@example.org').then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error?.message).toMatch(/Corrupt subscriber item [0-9a-f]{16}/);
    expect(error?.message).not.toContain('eve@');
  });
});

describe('DynamoSubscriberStore: conditional writes', () => {
  it('refuses a second create of the same address', async () => {
    const { store } = await newStore();
    await store.save(subscriber('ada@example.org'), undefined);
    await expect(store.save(subscriber('ada@example.org'), undefined)).rejects.toBeInstanceOf(WriteConflict);
  });

  it('refuses a write from a stale read and accepts one from the current version', async () => {
    const { store } = await newStore();
    const v1 = subscriber('ada@example.org');
    await store.save(v1, undefined);
    const v2 = { ...v1, topics: ['aws'], version: 2 };
    await store.save(v2, 1);
    await expect(store.save({ ...v1, status: 'unsubscribed', version: 2 }, 1)).rejects.toBeInstanceOf(WriteConflict);
    await store.save({ ...v2, status: 'unsubscribed', version: 3 }, 2);
    expect(await store.get('ada@example.org')).toMatchObject({ status: 'unsubscribed', topics: ['aws'], version: 3 });
  });

  it('refuses a save of an address that was never created, as a conflict', async () => {
    const { store } = await newStore();
    await expect(store.save(subscriber('ada@example.org', { version: 4 }), 3)).rejects.toBeInstanceOf(WriteConflict);
  });

  it('throws a plain Error when next.version is not the expected version plus one', async () => {
    const { store } = await newStore();
    const wrongFirst = store.save(subscriber('ada@example.org', { version: 2 }), undefined);
    await expect(wrongFirst).rejects.toThrow(/must be saved at version 1, not 2/);
    await expect(wrongFirst).rejects.not.toBeInstanceOf(WriteConflict);
    await store.save(subscriber('ada@example.org'), undefined);
    await expect(store.save(subscriber('ada@example.org', { version: 1 }), 1)).rejects.toThrow(/version 2, not 1/);
  });

  it('says what conflicted without naming the address', async () => {
    const { store } = await newStore();
    await store.save(subscriber('secret.person@example.org'), undefined);
    const error = await store.save(subscriber('secret.person@example.org'), undefined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WriteConflict);
    expect((error as Error).message).toContain('the subscriber changed since it was read');
    expect((error as Error).message).not.toMatch(/secret|example\.org/);
  });

  it('lets exactly one of 20 concurrent saves from the same read succeed', async () => {
    const { store } = await newStore();
    const v1 = subscriber('ada@example.org');
    await store.save(v1, undefined);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => store.save({ ...v1, topics: [`t${i}`], version: 2 }, 1)),
    );
    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(WriteConflict);
    expect(await store.get('ada@example.org')).toMatchObject({ version: 2, topics: [`t${won[0]}`] });
  });
});

describe('DynamoSubscriberStore: confirmed subscribers by shard', () => {
  const statuses: SubscriberStatus[] = ['pending', 'confirmed', 'unsubscribed', 'bounced', 'complained', 'confirmed'];

  it('pages through every shard and finds exactly the confirmed subscribers, each once', async () => {
    const { store } = await newStore();
    const all = Array.from({ length: 300 }, (_, i) =>
      subscriber(`reader${String(i).padStart(3, '0')}@example.org`, { status: statuses[i % statuses.length]! }),
    );
    for (let i = 0; i < all.length; i += 50) {
      await Promise.all(all.slice(i, i + 50).map((s) => store.save(s, undefined)));
    }
    const confirmed = all.filter((s) => s.status === 'confirmed').map((s) => s.address);
    expect(confirmed).toHaveLength(100);

    const { addresses, pages } = await confirmedPages(store, 7);
    expect(new Set(addresses).size).toBe(addresses.length);
    expect([...addresses].sort()).toEqual(confirmed.sort());
    expect(pages).toBeGreaterThan(16); // some shard held more than one page
  });

  it('spreads confirmed subscribers over all 16 shards by a stable hash of the address', async () => {
    const { store } = await newStore();
    const counts = new Array(16).fill(0);
    for (let i = 0; i < 1600; i++) counts[store.shardOf(`reader${i}@example.org`)]++;
    for (const count of counts) expect(count).toBeGreaterThan(50);
    expect(new DynamoSubscriberStore(client, 'other').shardOf('ada@example.org')).toBe(
      store.shardOf('ada@example.org'),
    );
  });

  it('drops a subscriber from the shard listing when it stops being confirmed', async () => {
    const { store } = await newStore();
    const v1 = subscriber('ada@example.org', { status: 'confirmed' });
    await store.save(v1, undefined);
    const shard = store.shardOf('ada@example.org');
    expect((await store.confirmedPage(shard, {})).subscribers.map((s) => s.address)).toEqual(['ada@example.org']);
    await store.save({ ...v1, status: 'unsubscribed', version: 2 }, 1);
    expect((await store.confirmedPage(shard, {})).subscribers).toEqual([]);
    expect((await confirmedPages(store, 10)).addresses).toEqual([]);
  });

  it('resumes from a cursor, in another store instance, where the last page ended', async () => {
    const { store, table } = await newStore();
    const shard = 3;
    const mine: string[] = [];
    for (let i = 0; mine.length < 12; i++) {
      const address = `reader${i}@example.org`;
      if (store.shardOf(address) !== shard) continue;
      mine.push(address);
      await store.save(subscriber(address, { status: 'confirmed' }), undefined);
    }
    const first = await store.confirmedPage(shard, { limit: 5 });
    expect(first.subscribers).toHaveLength(5);
    expect(first.cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    const later = new DynamoSubscriberStore(client, table);
    const second = await later.confirmedPage(shard, { limit: 5, cursor: first.cursor! });
    const rest = await later.confirmedPage(shard, { limit: 5, cursor: second.cursor! });
    const read = [...first.subscribers, ...second.subscribers, ...rest.subscribers].map((s) => s.address);
    expect(read).toEqual([...mine].sort());
    if (rest.cursor) expect((await later.confirmedPage(shard, { cursor: rest.cursor })).subscribers).toEqual([]);
  });

  it('rejects a malformed cursor, a cursor of another shard and an out-of-range shard or limit', async () => {
    const { store } = await newStore();
    for (let i = 0; i < 40; i++) await store.save(subscriber(`r${i}@example.org`, { status: 'confirmed' }), undefined);
    const shard = store.shardOf('r0@example.org');
    const { cursor } = await store.confirmedPage(shard, { limit: 1 });
    expect(cursor).toBeDefined();
    await expect(store.confirmedPage(shard, { cursor: 'not a cursor!' })).rejects.toBeInstanceOf(RangeError);
    await expect(store.confirmedPage(shard, { cursor: 'bm90anNvbg' })).rejects.toBeInstanceOf(RangeError);
    const array = Buffer.from('[1,2]').toString('base64url');
    await expect(store.confirmedPage(shard, { cursor: array })).rejects.toBeInstanceOf(RangeError);
    await expect(store.confirmedPage((shard + 1) % 16, { cursor: cursor! })).rejects.toBeInstanceOf(RangeError);
    await expect(store.confirmedPage(16, {})).rejects.toBeInstanceOf(RangeError);
    await expect(store.confirmedPage(-1, {})).rejects.toBeInstanceOf(RangeError);
    await expect(store.confirmedPage(0, { limit: 1001 })).rejects.toBeInstanceOf(RangeError);
    await expect(store.confirmedPage(0, { limit: 0 })).rejects.toBeInstanceOf(RangeError);
    await expect(store.scanPage({ cursor: cursor! })).rejects.toBeInstanceOf(RangeError);
  });

  it('uses the shard count it is given', async () => {
    const table = await newSubscriberTable(client);
    const store = new DynamoSubscriberStore(client, table, { shards: 4 });
    expect(store.shards).toBe(4);
    for (let i = 0; i < 20; i++) await store.save(subscriber(`r${i}@example.org`, { status: 'confirmed' }), undefined);
    expect((await confirmedPages(store, 500)).addresses).toHaveLength(20);
    expect(() => new DynamoSubscriberStore(client, table, { shards: 0 })).toThrow(RangeError);
  });
});

describe('DynamoSubscriberStore: scanning everyone', () => {
  it('pages through every subscriber, whatever the status, and nothing else', async () => {
    const { store } = await newStore();
    const addresses = Array.from({ length: 23 }, (_, i) => `r${i}@example.org`);
    for (const [i, address] of addresses.entries()) {
      await store.save(subscriber(address, { status: i % 2 ? 'confirmed' : 'bounced' }), undefined);
    }
    await store.hit('signup:203.0.113.9', 5, at(60 * 24 * 365 * 10));
    await store.erase('r0@example.org', 'a1b2c3');
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.scanPage({ limit: 4, ...(cursor ? { cursor } : {}) });
      seen.push(...page.subscribers.map((s) => s.address));
      cursor = page.cursor;
    } while (cursor);
    expect(seen.sort()).toEqual(addresses.slice(1).sort());
  });
});

describe('DynamoSubscriberStore: rate-limit counters', () => {
  const inAnHour = () => new Date(Date.now() + 3_600_000);

  it('counts hits up to the limit, then refuses', async () => {
    const { store } = await newStore();
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await store.hit('signup:203.0.113.9', 3, inAnHour()));
    expect(results).toEqual([true, true, true, false, false]);
  });

  it('keeps separate keys apart', async () => {
    const { store } = await newStore();
    expect(await store.hit('a', 1, inAnHour())).toBe(true);
    expect(await store.hit('a', 1, inAnHour())).toBe(false);
    expect(await store.hit('b', 1, inAnHour())).toBe(true);
  });

  it('keeps the window of the first hit: later hits do not extend it', async () => {
    const { store, table } = await newStore();
    const first = inAnHour();
    await store.hit('k', 3, first);
    await store.hit('k', 3, new Date(first.getTime() + 600_000));
    const { Item } = await client.send(new GetCommand({ TableName: table, Key: { pk: 'hit#k' } }));
    expect(Item).toEqual({ pk: 'hit#k', count: 2, expiresAt: Math.ceil(first.getTime() / 1000) });
  });

  it('counts again from 1 once the window has ended, though TTL has not deleted the record', async () => {
    const { store, table } = await newStore();
    for (let i = 0; i < 3; i++) await store.hit('k', 2, inAnHour());
    expect(await store.hit('k', 2, inAnHour())).toBe(false);
    const past = Math.floor(Date.now() / 1000) - 10;
    await client.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: 'hit#k' },
        UpdateExpression: 'SET expiresAt = :past',
        ExpressionAttributeValues: { ':past': past },
      }),
    );
    const next = inAnHour();
    expect(await store.hit('k', 2, next)).toBe(true);
    const { Item } = await client.send(new GetCommand({ TableName: table, Key: { pk: 'hit#k' } }));
    expect(Item).toEqual({ pk: 'hit#k', count: 1, expiresAt: Math.ceil(next.getTime() / 1000) });
    expect(await store.hit('k', 2, inAnHour())).toBe(true);
    expect(await store.hit('k', 2, inAnHour())).toBe(false);
  });

  it('starts one new window when many hits find the old one ended at once', async () => {
    const { store, table } = await newStore();
    await client.send(new PutCommand({ TableName: table, Item: { pk: 'hit#k', count: 99, expiresAt: 1 } }));
    const results = await Promise.all(Array.from({ length: 8 }, () => store.hit('k', 5, inAnHour())));
    expect(results.filter(Boolean)).toHaveLength(5);
  });

  it('rejects a limit below 1', async () => {
    const { store } = await newStore();
    await expect(store.hit('k', 0, inAnHour())).rejects.toBeInstanceOf(RangeError);
  });
});

describe('DynamoSubscriberStore: erasure and tombstones', () => {
  it('leaves a bounced tombstone for an erased bounced subscriber and deletes the subscriber', async () => {
    const { store } = await newStore();
    await store.save(subscriber('ada@example.org', { status: 'bounced' }), undefined);
    expect(await store.erase('ada@example.org', 'hash-ada')).toBe('erased');
    expect(await store.get('ada@example.org')).toBeUndefined();
    expect(await store.tombstone('hash-ada')).toBe('bounced');
  });

  it('leaves an unsubscribed tombstone for an erased confirmed subscriber', async () => {
    const { store } = await newStore();
    await store.save(subscriber('bob@example.org', { status: 'confirmed' }), undefined);
    expect(await store.erase('bob@example.org', 'hash-bob')).toBe('erased');
    expect(await store.tombstone('hash-bob')).toBe('unsubscribed');
    expect((await confirmedPages(store, 500)).addresses).toEqual([]);
  });

  it('answers absent for an unknown address and leaves no tombstone', async () => {
    const { store } = await newStore();
    expect(await store.erase('nobody@example.org', 'hash-nobody')).toBe('absent');
    expect(await store.tombstone('hash-nobody')).toBeUndefined();
  });

  it('is idempotent: a second erase finds nothing and keeps the tombstone', async () => {
    const { store } = await newStore();
    await store.save(subscriber('eve@example.org', { status: 'complained' }), undefined);
    expect(await store.erase('eve@example.org', 'hash-eve')).toBe('erased');
    expect(await store.erase('eve@example.org', 'hash-eve')).toBe('absent');
    expect(await store.tombstone('hash-eve')).toBe('complained');
  });

  it('completes when run again after a crash between the tombstone and the delete', async () => {
    const { store, table } = await newStore();
    await store.save(subscriber('ada@example.org', { status: 'confirmed' }), undefined);
    await client.send(
      new PutCommand({ TableName: table, Item: { pk: 'gone#hash-ada', status: 'unsubscribed', erasedAt: 'x' } }),
    );
    expect(await store.erase('ada@example.org', 'hash-ada')).toBe('erased');
    expect(await store.get('ada@example.org')).toBeUndefined();
    expect(await store.tombstone('hash-ada')).toBe('unsubscribed');
  });

  it('never weakens a suppression tombstone into an unsubscribed one', async () => {
    const { store } = await newStore();
    await store.save(subscriber('ada@example.org', { status: 'bounced' }), undefined);
    await store.erase('ada@example.org', 'hash-ada');
    await store.save(subscriber('ada@example.org', { status: 'confirmed' }), undefined);
    await store.erase('ada@example.org', 'hash-ada');
    expect(await store.tombstone('hash-ada')).toBe('bounced');
  });
});

describe('DynamoSubscriberStore: the lifecycle end to end', () => {
  it('signs up, confirms, changes topics, survives bounces, unsubscribes and comes back', async () => {
    const { store } = await newStore();
    const address = 'ada@example.org';
    const shard = store.shardOf(address);
    const listed = async () => (await store.confirmedPage(shard, {})).subscribers.map((s) => s.address);
    const request = (minutes: number) => ({
      address,
      topics: ['aws'],
      consent: { at: at(minutes), source: 'form', ip: '203.0.113.9', userAgent: 'test' },
      cooldownMs: 600_000,
    });

    const signed = signUp(await store.get(address), undefined, request(0));
    if (signed.outcome !== 'send') throw new Error(`expected send, got ${signed.outcome}`);
    await store.save(signed.next, signed.expectedVersion);
    expect(await store.get(address)).toMatchObject({ status: 'pending', version: 1 });
    expect(signUp(await store.get(address), undefined, request(1)).outcome).toBe('cooldown');
    expect(await listed()).toEqual([]);

    const pending = await store.get(address);
    const confirmed = confirm(pending, at(2));
    if (!confirmed.write) throw new Error('expected a write');
    await store.save(confirmed.next, confirmed.expectedVersion);
    expect(await store.get(address)).toMatchObject({ status: 'confirmed', confirmedAt: at(2), version: 2 });
    expect(await listed()).toEqual([address]);

    // A second confirmation computed from the same, now stale, read loses.
    const again = confirm(pending, at(3));
    if (!again.write) throw new Error('expected a write');
    await expect(store.save(again.next, again.expectedVersion)).rejects.toBeInstanceOf(WriteConflict);

    for (const step of [
      (current: Subscriber | undefined) => chooseTopics(current, ['rust', 'aws'], at(4)),
      (current: Subscriber | undefined) => feedback(current, 'soft-bounce', at(5)),
      (current: Subscriber | undefined) => feedback(current, 'delivery', at(6)),
    ]) {
      const change = step(await store.get(address));
      if (!change.write) throw new Error('expected a write');
      await store.save(change.next, change.expectedVersion);
    }
    expect(await store.get(address)).toMatchObject({ topics: ['aws', 'rust'], softBounces: 0, version: 5 });
    expect(await listed()).toEqual([address]);

    const left = unsubscribe(await store.get(address), at(7));
    if (!left.write) throw new Error('expected a write');
    await store.save(left.next, left.expectedVersion);
    expect(await listed()).toEqual([]);

    const back = signUp(await store.get(address), undefined, request(30));
    if (back.outcome !== 'send') throw new Error(`expected send, got ${back.outcome}`);
    await store.save(back.next, back.expectedVersion);
    expect(await store.get(address)).toMatchObject({ status: 'pending', version: 7 });

    const bounced = feedback(await store.get(address), 'hard-bounce', at(31));
    if (!bounced.write) throw new Error('expected a write');
    await store.save(bounced.next, bounced.expectedVersion);
    expect(await store.erase(address, 'hash-ada')).toBe('erased');
    const tombstone = await store.tombstone('hash-ada');
    expect(tombstone).toBe('bounced');
    expect(signUp(await store.get(address), tombstone, request(60)).outcome).toBe('suppressed');
  });
});
