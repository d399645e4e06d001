// Sending an issue to everyone, against dynalite (subscribers, ledger), the SES stand-in, and the in-process queue;
// throttling, crashes and rejections are injected where no stand-in can produce them.
import { randomUUID } from 'node:crypto';
import { SESClient, type SendRawEmailCommand } from '@aws-sdk/client-ses';
import { simpleParser } from 'mailparser';
import { describe, expect, inject, it, vi } from 'vitest';
import type { Article } from '../../functions/core/article.ts';
import type { IssueCopy } from '../../functions/pipeline/digest-state.ts';
import { writeControl } from '../../functions/sending/control.ts';
import { DynamoSendLedger } from '../../functions/sending/dynamo-ledger.ts';
import type { SendLedger } from '../../functions/sending/model.ts';
import { planSend } from '../../functions/sending/plan.ts';
import { MemorySendQueue } from '../../functions/sending/queue.ts';
import { RateLimiter } from '../../functions/sending/rate.ts';
import { sendReport } from '../../functions/sending/report.ts';
import { type SenderDeps, sendBatch } from '../../functions/sending/send.ts';
import { MemoryStorage } from '../../functions/storage/memory.ts';
import { addressHash } from '../../functions/subscribers/address.ts';
import { DynamoSubscriberStore } from '../../functions/subscribers/dynamo-store.ts';
import type { Subscriber, SubscriberStatus } from '../../functions/subscribers/model.ts';
import { createTokenSigner, generateKeyringText, parseKeyring } from '../../functions/subscribers/tokens.ts';
import { sentMail } from '../stand-ins/ses.ts';
import { makeArticle } from '../support/article.ts';
import { digestConfig } from '../support/digest.ts';
import { newSubscriberTable, testDocumentClient } from '../support/dynamo.ts';
import { newLedgerTable } from '../support/ledger.ts';
import { sesThrottlingError, throttleSome } from '../support/rated-ses.ts';

const ISSUE = '2026-W48';
const DUE = new Date('2026-11-23T06:00:00Z');
const articles: Article[] = [
  makeArticle('ai-story', { title: 'Story about AI', topics: ['AI'], quality: 90 }),
  makeArticle('space-story', { title: 'Story about Space', topics: ['Space'], quality: 80 }),
  makeArticle('energy-story', { title: 'Story about Energy', topics: ['Energy'], quality: 70 }),
];
const copy: IssueCopy = {
  issue: { id: ISSUE, number: 7, dueAt: DUE, since: new Date('2026-11-16T06:00:00Z') },
  articles,
};

interface World {
  deps: SenderDeps;
  queue: MemorySendQueue;
  state: MemoryStorage;
  ledger: SendLedger;
  store: DynamoSubscriberStore;
  run: string;
  addresses: Map<string, Subscriber>;
  plan(): Promise<unknown>;
  drain(): Promise<unknown[]>;
  /** Messages the stand-in holds for an address of this run. */
  received(address: string): Promise<{ text?: string }[]>;
}

async function world(
  people: { status: SubscriberStatus; topics: string[] }[],
  ses?: (client: SESClient) => SESClient,
): Promise<World> {
  const documents = testDocumentClient();
  const [subscriberTable, ledgerTable] = await Promise.all([newSubscriberTable(documents), newLedgerTable(documents)]);
  const store = new DynamoSubscriberStore(documents, subscriberTable);
  const ledger = new DynamoSendLedger(documents, ledgerTable);
  const run = randomUUID().slice(0, 8);
  const at = new Date('2026-11-20T09:00:00Z');
  const addresses = new Map<string, Subscriber>();
  await Promise.all(
    people.map(async (person, i) => {
      const subscriber: Subscriber = {
        address: `p${i}-${run}@example.com`,
        status: person.status,
        topics: person.topics,
        consent: { at, source: 'form' },
        createdAt: at,
        updatedAt: at,
        softBounces: 0,
        version: 1,
      };
      addresses.set(subscriber.address, subscriber);
      await store.save(subscriber, undefined);
    }),
  );
  const keyring = parseKeyring(generateKeyringText(), 'test keys');
  const stand = new SESClient({
    endpoint: inject('sesEndpoint'),
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    maxAttempts: 1,
  });
  const state = new MemoryStorage();
  const queue = new MemorySendQueue(8);
  const deps: SenderDeps = {
    config: digestConfig(),
    store,
    ledger,
    ses: ses ? ses(stand) : stand,
    limiter: new RateLimiter(10_000),
    signer: createTokenSigner(keyring),
    hashKey: keyring.hashKey!,
    issue: async () => copy,
    control: async () => 'active',
    clock: () => new Date('2026-11-23T06:10:00Z'),
    sleep: async () => {},
  };
  return {
    deps,
    queue,
    state,
    ledger,
    store,
    run,
    addresses,
    plan: () => planSend({ issueId: ISSUE, store, queue, state, now: DUE, pageSize: 40 }),
    drain: () => queue.drain((batch) => sendBatch(batch, deps)),
    received: async (address) =>
      (await sentMail(inject('sesEndpoint'))).filter((m) => m.destination.to.includes(address)).map((m) => m.body),
  };
}

/** 300 people: most confirmed with mixed topics, the rest pending, unsubscribed, bounced or complained. */
function population(n = 300) {
  const statuses: SubscriberStatus[] = [
    'confirmed',
    'confirmed',
    'confirmed',
    'confirmed',
    'pending',
    'unsubscribed',
    'bounced',
    'complained',
  ];
  const topicChoices = [[], ['ai'], ['space'], ['ai', 'energy'], ['cooking']];
  return Array.from({ length: n }, (_, i) => ({
    status: statuses[i % statuses.length]!,
    topics: topicChoices[i % topicChoices.length]!,
  }));
}

const wantsMail = (s: Subscriber) => s.status === 'confirmed' && !(s.topics.length === 1 && s.topics[0] === 'cooking');

async function expectEachConfirmedOnce(w: World) {
  for (const [address, subscriber] of w.addresses) {
    const mails = await w.received(address);
    expect(mails.length, `${subscriber.status} ${subscriber.topics.join(',')}`).toBe(wantsMail(subscriber) ? 1 : 0);
  }
  await expectReportAddsUp(w);
}

/** Every planned recipient has exactly one outcome in the report, whatever went wrong on the way. */
async function expectReportAddsUp(w: World) {
  const report = await sendReport(w.state, w.ledger, ISSUE, DUE);
  const o = report.outcomes;
  expect(o.sent + o.suppressed + o['no-topics'] + o.failed + o.unknown).toBe(report.planned);
  expect(report.planned).toBe([...w.addresses.values()].filter((p) => p.status === 'confirmed').length);
  expect(report.done).toBe(true);
}

describe('sending an issue', () => {
  it('reaches every confirmed subscriber exactly once, with only their topics, and nobody else', async () => {
    const w = await world(population());
    await w.plan();
    expect(await w.drain()).toEqual([]);
    await expectEachConfirmedOnce(w);
    const aiOnly = [...w.addresses.values()].find((s) => s.status === 'confirmed' && s.topics.join() === 'ai')!;
    const [message] = await w.received(aiOnly.address);
    expect(message?.text).toContain('Story about AI');
    expect(message?.text).not.toContain('Story about Space');
    const report = await sendReport(w.state, w.ledger, ISSUE, DUE);
    const o = report.outcomes;
    const confirmed = [...w.addresses.values()].filter((p) => p.status === 'confirmed');
    expect(report.planned).toBe(confirmed.length);
    expect(o.sent + o.suppressed + o['no-topics'] + o.failed + o.unknown).toBe(report.planned);
    expect(o['no-topics']).toBe(confirmed.filter((p) => !wantsMail(p)).length);
    expect(o.sent).toBe(confirmed.filter(wantsMail).length);
    expect(report.done).toBe(true);
  });

  it('sends everyone exactly once through injected throttling, and never counts a throttled attempt as sent', async () => {
    let throttled = 0;
    // A seeded generator (mulberry32): the same share of throttles, spread evenly, on every run.
    let seed = 7;
    const draw = () => {
      seed = (seed + 0x6d2b79f5) >>> 0;
      let t = seed;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      const value = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      if (value < 0.3) throttled += 1;
      return value;
    };
    const w = await world(population(120), (client) => throttleSome(client, 0.3, draw));
    await w.plan();
    await w.drain();
    expect(throttled).toBeGreaterThan(5);
    await expectEachConfirmedOnce(w);
    const report = await sendReport(w.state, w.ledger, ISSUE, DUE);
    expect(report.outcomes.sent).toBe([...w.addresses.values()].filter(wantsMail).length);
  });

  it('never resends to a recipient whose send was not recorded (a worker killed between SES and the ledger)', async () => {
    const w = await world(population(40));
    const markSent = w.ledger.markSent.bind(w.ledger);
    let calls = 0;
    w.ledger.markSent = async (...args) => {
      calls += 1;
      if (calls === 3) throw new Error('worker killed');
      return markSent(...args);
    };
    await w.plan();
    const errors = await w.drain();
    expect(errors.map((e) => (e as Error).message)).toEqual(['worker killed']);
    await expectEachConfirmedOnce(w);
    const report = await sendReport(w.state, w.ledger, ISSUE, DUE);
    expect(report.outcomes.unknown).toBe(1);
    expect(report.unknownRecipients).toHaveLength(1);
    expect(
      report.outcomes.sent + report.outcomes.unknown + report.outcomes.suppressed + report.outcomes['no-topics'],
    ).toBe(report.planned);
  });

  it('sends nothing twice when the same batch arrives twice, or the planner runs twice', async () => {
    const w = await world(population(60));
    await w.plan();
    await w.plan();
    await w.queue.enqueue([...w.queue.waiting.map((m) => m.batch)]);
    const outcomes: Record<string, number> = {};
    await w.queue.drain(async (batch) => {
      const result = await sendBatch(batch, w.deps);
      for (const [k, v] of Object.entries(result.outcomes)) outcomes[k] = (outcomes[k] ?? 0) + v;
    });
    await expectEachConfirmedOnce(w);
    expect(outcomes['already-sent']).toBe(outcomes.sent);
  });

  it('re-queues at most one page when the planner stops between the enqueue and its progress, and sends it once', async () => {
    const w = await world(population(100));
    const write = w.state.write.bind(w.state);
    let writes = 0;
    w.state.write = async (key, body, options) => {
      if (key.endsWith('plan.json') && ++writes === 2) throw new Error('planner killed');
      return write(key, body, options);
    };
    await expect(w.plan()).rejects.toThrow('planner killed');
    const result = await w.plan();
    const confirmed = [...w.addresses.values()].filter((p) => p.status === 'confirmed').length;
    expect(result).toMatchObject({ outcome: 'planned', planned: confirmed });
    // The page whose progress was lost is queued twice; the ledger sends it once.
    expect(w.queue.waiting.flatMap((m) => m.batch.recipients).length).toBeGreaterThan(confirmed);
    await w.drain();
    await expectEachConfirmedOnce(w);
  });

  it('sends nothing to someone who unsubscribed between planning and sending', async () => {
    const w = await world(population(16));
    await w.plan();
    const leaving = [...w.addresses.values()].find((s) => s.status === 'confirmed' && s.topics.length === 0)!;
    await w.store.save({ ...leaving, status: 'unsubscribed', version: 2 }, 1);
    await w.drain();
    expect(await w.received(leaving.address)).toEqual([]);
    await expectReportAddsUp(w);
  });

  it('records a permanent rejection as failed, never retries it, and sends the rest', async () => {
    let rejectedCalls = 0;
    const w = await world(population(16), (client) => {
      const send = client.send.bind(client);
      client.send = (async (command: SendRawEmailCommand) => {
        if (command.input.Destinations?.[0]?.startsWith('p0-')) {
          rejectedCalls += 1;
          throw Object.assign(new Error('Email address is not verified.'), {
            name: 'MessageRejected',
            $metadata: { httpStatusCode: 400 },
          });
        }
        return send(command as never);
      }) as typeof client.send;
      return client;
    });
    await w.plan();
    await w.drain();
    expect(rejectedCalls).toBe(1);
    const report = await sendReport(w.state, w.ledger, ISSUE, DUE);
    expect(report.outcomes.failed).toBe(1);
    await expectReportAddsUp(w);
    for (const [address, subscriber] of w.addresses) {
      if (!address.startsWith('p0-')) expect((await w.received(address)).length).toBe(wantsMail(subscriber) ? 1 : 0);
    }
  });

  it('stops for the day when SES says the daily quota is spent, and sends the rest when it is back', async () => {
    let quotaLeft = 3;
    const w = await world(population(16), (client) => {
      const send = client.send.bind(client);
      client.send = (async (command: never) => {
        if (quotaLeft-- <= 0) throw sesThrottlingError('Daily message quota exceeded.');
        return send(command);
      }) as typeof client.send;
      return client;
    });
    await w.plan();
    let stopped = false;
    const errors = await w.queue.drain(
      async (batch) => {
        try {
          return await sendBatch(batch, w.deps);
        } catch (error) {
          stopped = true;
          throw error;
        }
      },
      { stopWhen: () => stopped },
    );
    expect(errors.map((e) => (e as Error).message)).toEqual([
      'Daily message quota exceeded: sending stops until SES allows more',
    ]);
    expect(w.queue.waiting.length).toBeGreaterThan(0);
    quotaLeft = 1000;
    await w.drain();
    await expectEachConfirmedOnce(w);
  });

  it('holds batches while paused, and drops them when cancelled', async () => {
    const w = await world(population(16));
    await w.plan();
    let control: 'active' | 'paused' | 'cancelled' = 'paused';
    w.deps.control = async () => control;
    await w.queue.drain((batch) => sendBatch(batch, w.deps), { stopWhen: () => true });
    await expect(sendBatch(w.queue.waiting[0]!.batch, w.deps)).rejects.toThrow('paused');
    control = 'cancelled';
    await w.drain();
    expect(w.queue.waiting).toEqual([]);
    for (const address of w.addresses.keys()) expect(await w.received(address)).toEqual([]);
  });

  it('plans nothing for an issue that needs approval until it is approved', async () => {
    const w = await world(population(8));
    const held = await planSend({
      issueId: ISSUE,
      store: w.store,
      queue: w.queue,
      state: w.state,
      now: DUE,
      requireApproval: true,
    });
    expect(held).toMatchObject({ outcome: 'awaiting-approval' });
    await writeControl(w.state, ISSUE, { state: 'active', approvedAt: DUE });
    const planned = await planSend({
      issueId: ISSUE,
      store: w.store,
      queue: w.queue,
      state: w.state,
      now: DUE,
      requireApproval: true,
    });
    expect(planned).toMatchObject({ outcome: 'planned', planned: 4 });
  });

  it('hands SES the headers bulk senders need, a valid token for that recipient, and tags for Feedback-ID', async () => {
    const requests: SendRawEmailCommand['input'][] = [];
    const w = await world([{ status: 'confirmed', topics: [] }], (client) => {
      const send = client.send.bind(client);
      vi.spyOn(client, 'send').mockImplementation((async (command: SendRawEmailCommand) => {
        requests.push(command.input);
        return send(command as never);
      }) as never);
      return client;
    });
    await w.plan();
    await w.drain();
    expect(requests).toHaveLength(1);
    const [request] = requests;
    const address = [...w.addresses.keys()][0]!;
    expect(request?.Destinations).toEqual([address]);
    expect(request?.Tags).toEqual([
      { Name: 'ses:feedback-id-a', Value: ISSUE },
      { Name: 'ses:feedback-id-b', Value: 'weekly-digest' },
    ]);
    const mail = await simpleParser(Buffer.from(request!.RawMessage!.Data!));
    const header = (name: string) => mail.headerLines.filter((h) => h.key === name).map((h) => h.line);
    expect(header('list-unsubscribe-post')).toEqual(['List-Unsubscribe-Post: List-Unsubscribe=One-Click']);
    expect(header('list-id')).toEqual(['List-ID: "Test Wire weekly digest" <digest.example.org>']);
    const url = new URL(/<([^>]+)>/.exec(header('list-unsubscribe')[0] ?? '')![1]!);
    expect(w.deps.signer.verify(url.searchParams.get('token')!, 'unsubscribe', DUE)).toEqual({ ok: true, address });
    expect(mail.headerLines.map((h) => h.key).sort()).toEqual(
      [
        'content-type',
        'date',
        'from',
        'list-id',
        'list-unsubscribe',
        'list-unsubscribe-post',
        'message-id',
        'mime-version',
        'subject',
        'to',
      ].sort(),
    );
    expect(addressHash(w.deps.hashKey, address)).toHaveLength(32);
  });
});
