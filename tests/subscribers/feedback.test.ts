import { readFileSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import { ConfigError } from '../../functions/core/errors.ts';
import { ENV } from '../../functions/env.ts';
import { createFeedbackHandler } from '../../functions/handlers/ses-feedback.ts';
import { addressHash } from '../../functions/subscribers/address.ts';
import { applyFeedback, FEEDBACK_RETRIES } from '../../functions/subscribers/apply-feedback.ts';
import { DynamoSubscriberStore } from '../../functions/subscribers/dynamo-store.ts';
import {
  FeedbackEventError,
  type FeedbackItem,
  parseFeedbackEvent,
  recipientAddress,
} from '../../functions/subscribers/feedback.ts';
import { chooseTopics, type Feedback, SOFT_BOUNCE_LIMIT } from '../../functions/subscribers/lifecycle.ts';
import { type Subscriber, WriteConflict } from '../../functions/subscribers/model.ts';
import { generateKeyringText, parseKeyring } from '../../functions/subscribers/tokens.ts';
import { newSubscriberTable, testDocumentClient } from '../support/dynamo.ts';
import { useLambdaEnvironment } from '../support/lambda.ts';

/** A sample from the SES documentation (fixtures/ses-events/README.md names the page), read afresh for each test. */
const sample = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`./fixtures/ses-events/${name}.json`, import.meta.url), 'utf8'));

/** The message id of the event-publishing samples. */
const EXAMPLE_ID = 'EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000';
const item = (address: string, kind: Feedback, messageId = EXAMPLE_ID): FeedbackItem => ({ address, kind, messageId });

describe('parseFeedbackEvent', () => {
  it('reads a permanent bounce as a hard bounce of the bounced recipient, with the SES message id', () => {
    expect(parseFeedbackEvent(sample('bounce-permanent'))).toEqual([item('recipient@example.com', 'hard-bounce')]);
  });

  it('reads a transient bounce (MailboxFull) as a soft bounce', () => {
    expect(parseFeedbackEvent(sample('bounce-transient-mailbox-full'))).toEqual([
      item('recipient@example.com', 'soft-bounce'),
    ]);
  });

  it('reads an undetermined bounce as a soft bounce: it may pass, and only repeats suppress', () => {
    expect(parseFeedbackEvent(sample('bounce-undetermined'))).toEqual([item('recipient@example.com', 'soft-bounce')]);
  });

  it('reads a complaint as a complaint of the complained recipient', () => {
    expect(parseFeedbackEvent(sample('complaint'))).toEqual([item('recipient@example.com', 'complaint')]);
  });

  it('blames only the complained recipient, not every destination of the message', () => {
    const id = '000001378603177f-7a5433e7-8edb-42ae-af10-f0181f34d6ee-000000';
    expect(parseFeedbackEvent(sample('notification-complaint'))).toEqual([
      item('richard@example.com', 'complaint', id),
    ]);
  });

  it('blames every destination of the message when the complaint names no recipient', () => {
    const id = '000001378603177f-7a5433e7-8edb-42ae-af10-f0181f34d6ee-000000';
    expect(parseFeedbackEvent(sample('complaint-without-recipients'))).toEqual([
      item('jane@example.com', 'complaint', id),
      item('mary@example.com', 'complaint', id),
      item('richard@example.com', 'complaint', id),
    ]);
  });

  it('reads a not-spam feedback report as no complaint at all', () => {
    const event = sample('complaint');
    Object.assign(event.complaint as object, { complaintFeedbackType: 'not-spam' });
    expect(parseFeedbackEvent(event)).toEqual([]);
  });

  it('reads a delivery as a delivery to each of its recipients', () => {
    expect(parseFeedbackEvent(sample('delivery'))).toEqual([item('recipient@example.com', 'delivery')]);
  });

  it('reads the older identity notifications, whose type is notificationType', () => {
    const id = '00000137860315fd-34208509-5b74-41f3-95c5-22c1edc3c924-000000';
    expect(parseFeedbackEvent(sample('notification-bounce'))).toEqual([
      item('jane@example.com', 'hard-bounce', id),
      item('richard@example.com', 'hard-bounce', id),
    ]);
  });

  it('reads every record of an SNS-delivered Lambda event, in order', () => {
    expect(parseFeedbackEvent(sample('sns-two-records'))).toEqual([
      item('recipient@example.com', 'delivery'),
      item('richard@example.com', 'complaint', '000001378603177f-7a5433e7-8edb-42ae-af10-f0181f34d6ee-000000'),
    ]);
  });

  it('reads the SES record in the detail of an EventBridge event', () => {
    expect(parseFeedbackEvent(sample('eventbridge-bounce'))).toEqual(parseFeedbackEvent(sample('bounce-permanent')));
    expect(parseFeedbackEvent(sample('eventbridge-bounce'))).toHaveLength(1);
  });

  it.each(['send', 'open'])('reads a %s event as no feedback', (name) => {
    expect(parseFeedbackEvent(sample(name))).toEqual([]);
    expect(parseFeedbackEvent({ ...sample('eventbridge-bounce'), detail: sample(name) })).toEqual([]);
  });

  it('takes the address out of a display-name form, lower-cases the domain, lists each address once and drops non-addresses', () => {
    expect(parseFeedbackEvent(sample('bounce-display-names'))).toEqual([
      item('Recipient@example.com', 'hard-bounce'),
      item('other@example.com', 'hard-bounce'),
    ]);
  });

  it.each([
    ['"Ada Lovelace" <Ada@Example.COM>', 'Ada@example.com'],
    ['Ada <ada@example.com>', 'ada@example.com'],
    ['<ada@example.com>', 'ada@example.com'],
    ['rfc822; ada@EXAMPLE.com', 'ada@example.com'],
    ['  ada@example.com ', 'ada@example.com'],
    ['ada@example.com, bob@example.com', undefined],
    ['Ada', undefined],
  ])('reads the recipient %j as %j', (recipient, address) => {
    expect(recipientAddress(recipient)).toBe(address);
  });

  const withBounce = (bounce: Record<string, unknown>) => ({
    ...sample('bounce-permanent'),
    bounce: { ...(sample('bounce-permanent').bounce as object), ...bounce },
  });
  const snsOf = (message: string) => ({ Records: [{ EventSource: 'aws:sns', Sns: { Message: message } }] });

  it.each([
    ['an unknown bounce type', withBounce({ bounceType: 'Soft' }), 'bounce.bounceType'],
    ['a recipient that is not a string', withBounce({ bouncedRecipients: [{ emailAddress: 7 }] }), 'emailAddress'],
    ['a bounce without recipients', withBounce({ bouncedRecipients: undefined }), 'bounce.bouncedRecipients'],
    ['a record without a type', { mail: { destination: ['ada@example.com'] } }, 'eventType nor notificationType'],
    ['an SNS message that is not JSON', snsOf('{"eventType":"Bounce","to":"ada@example.com"'), 'Message: is not valid'],
    ['an SNS message that is not from SES', snsOf('{"to":"ada@example.com"}'), 'Records.0.Sns.Message'],
    ['an event from another source', { ...sample('eventbridge-bounce'), source: 'aws.ec2' }, 'source'],
    ['a delivery without recipients', { ...sample('delivery'), delivery: {} }, 'delivery.recipients'],
    ['null', null, '(event)'],
  ])('throws a FeedbackEventError naming the path, and no address, for %s', (_, event, path) => {
    let thrown: unknown;
    try {
      parseFeedbackEvent(event);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(FeedbackEventError);
    const { message } = thrown as Error;
    expect(message).toContain(path);
    expect(message).not.toContain('@');
  });
});

describe('applyFeedback', () => {
  const client = testDocumentClient();
  const t0 = new Date('2026-11-02T08:00:00.000Z');
  const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);
  const ADA = 'ada@example.com';
  const feedbackOf = (...kinds: Feedback[]) => kinds.map((kind) => ({ address: ADA, kind }));

  function subscriber(fields: Partial<Subscriber> = {}): Subscriber {
    return {
      address: ADA,
      status: 'confirmed',
      topics: [],
      consent: { at: t0, source: 'form' },
      createdAt: t0,
      updatedAt: t0,
      confirmedAt: t0,
      softBounces: 0,
      version: 1,
      ...fields,
    };
  }

  /** A store on a new table, holding `ada@example.com` with `fields` (absent: no subscriber at all). */
  async function storeWith(fields?: Partial<Subscriber>): Promise<DynamoSubscriberStore> {
    const store = new DynamoSubscriberStore(client, await newSubscriberTable(client));
    if (fields) await store.save(subscriber(fields), undefined);
    return store;
  }

  it('suppresses an address at once on a hard bounce', async () => {
    const store = await storeWith({});
    const report = await applyFeedback(store, feedbackOf('hard-bounce'), at(1));
    expect(report).toEqual({
      suppressed: 1,
      counted: 0,
      reset: 0,
      unknown: 0,
      unchanged: 0,
      suppressedAddresses: [ADA],
    });
    expect(await store.get(ADA)).toMatchObject({ status: 'bounced', updatedAt: at(1), version: 2 });
  });

  it(`counts soft bounces and suppresses at ${SOFT_BOUNCE_LIMIT} in a row`, async () => {
    const store = await storeWith({});
    const first = await applyFeedback(store, feedbackOf('soft-bounce', 'soft-bounce'), at(1));
    expect(first).toMatchObject({ counted: 2, suppressed: 0 });
    expect(await store.get(ADA)).toMatchObject({ status: 'confirmed', softBounces: 2 });
    const last = await applyFeedback(store, feedbackOf('soft-bounce'), at(2));
    expect(last).toMatchObject({ counted: 0, suppressed: 1, suppressedAddresses: [ADA] });
    expect(await store.get(ADA)).toMatchObject({ status: 'bounced', softBounces: SOFT_BOUNCE_LIMIT });
  });

  it('starts counting soft bounces again after a delivery', async () => {
    const store = await storeWith({});
    const kinds: Feedback[] = ['soft-bounce', 'soft-bounce', 'delivery', 'soft-bounce', 'soft-bounce', 'delivery'];
    const report = await applyFeedback(store, feedbackOf(...kinds), at(1));
    expect(report).toMatchObject({ counted: 4, reset: 2, suppressed: 0, unchanged: 0 });
    expect(await store.get(ADA)).toMatchObject({ status: 'confirmed', softBounces: 0 });
  });

  it('writes nothing for a delivery when no soft bounce is counted', async () => {
    const store = await storeWith({});
    expect(await applyFeedback(store, feedbackOf('delivery'), at(1))).toMatchObject({ unchanged: 1, reset: 0 });
    expect(await store.get(ADA)).toMatchObject({ version: 1 });
  });

  it('suppresses an address on a complaint', async () => {
    const store = await storeWith({ status: 'pending', confirmedAt: undefined });
    expect(await applyFeedback(store, feedbackOf('complaint'), at(1))).toMatchObject({ suppressed: 1 });
    expect(await store.get(ADA)).toMatchObject({ status: 'complained' });
  });

  it('counts feedback about an address that is not a subscriber as unknown and writes nothing', async () => {
    const store = await storeWith(undefined);
    const report = await applyFeedback(store, feedbackOf('hard-bounce', 'complaint', 'delivery'), at(1));
    expect(report).toEqual({ suppressed: 0, counted: 0, reset: 0, unknown: 3, unchanged: 0, suppressedAddresses: [] });
    expect(await store.get(ADA)).toBeUndefined();
  });

  it('keeps a suppressed address suppressed whatever arrives later', async () => {
    const store = await storeWith({ status: 'bounced' });
    const report = await applyFeedback(store, feedbackOf('delivery', 'soft-bounce', 'hard-bounce'), at(1));
    expect(report).toMatchObject({ unchanged: 3, suppressed: 0, counted: 0 });
    expect(await store.get(ADA)).toMatchObject({ status: 'bounced', softBounces: 0, version: 1 });
    // A complaint about a bounced address is still recorded, as the reason for the suppression.
    expect(await applyFeedback(store, feedbackOf('complaint'), at(2))).toMatchObject({ suppressed: 1 });
    expect(await store.get(ADA)).toMatchObject({ status: 'complained', version: 2 });
  });

  /** A real store in which another writer changes the subscriber's topics just before each of our next saves. */
  class RacedStore extends DynamoSubscriberStore {
    rivals = 0;
    override async save(next: Subscriber, expectedVersion: number | undefined): Promise<void> {
      if (this.rivals > 0) {
        this.rivals -= 1;
        const change = chooseTopics(await this.get(next.address), [`rival-${this.rivals}`], at(1));
        if (change.write) await super.save(change.next, change.expectedVersion);
      }
      return super.save(next, expectedVersion);
    }
  }

  async function racedStore(rivals: number): Promise<RacedStore> {
    const store = new RacedStore(client, await newSubscriberTable(client));
    await store.save(subscriber(), undefined);
    store.rivals = rivals;
    return store;
  }

  it(`re-reads and applies again when another write got there first, up to ${FEEDBACK_RETRIES} times`, async () => {
    const store = await racedStore(FEEDBACK_RETRIES);
    expect(await applyFeedback(store, feedbackOf('soft-bounce'), at(2))).toMatchObject({ counted: 1 });
    expect(await store.get(ADA)).toMatchObject({
      softBounces: 1,
      topics: ['rival-0'],
      version: 2 + FEEDBACK_RETRIES,
    });
  });

  it('gives up with the WriteConflict when the subscriber keeps changing', async () => {
    const store = await racedStore(FEEDBACK_RETRIES + 1);
    await expect(applyFeedback(store, feedbackOf('soft-bounce'), at(2))).rejects.toBeInstanceOf(WriteConflict);
    expect(await store.get(ADA)).toMatchObject({ softBounces: 0 });
  });
});

describe('the ses-feedback handler', () => {
  const { logged, captureLogs } = useLambdaEnvironment();
  const client = testDocumentClient();
  const keyringText = generateKeyringText();
  const hashKey = parseKeyring(keyringText, 'test').hashKey!;

  async function deployment() {
    const table = await newSubscriberTable(client);
    const store = new DynamoSubscriberStore(client, table);
    const env = {
      AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
      [ENV.subscriberTable]: table,
      [ENV.signingKeys]: keyringText,
    };
    return { store, env };
  }

  it('suppresses a bounced subscriber and logs one line with the counts and its keyed hash, not its address', async () => {
    const { store, env } = await deployment();
    const now = new Date();
    const address = 'recipient@example.com';
    await store.save(
      {
        address,
        status: 'confirmed',
        topics: [],
        consent: { at: now, source: 'form' },
        createdAt: now,
        updatedAt: now,
        softBounces: 0,
        version: 1,
      },
      undefined,
    );
    captureLogs();
    const result = await createFeedbackHandler(env)(sample('eventbridge-bounce'));
    expect(result).toEqual({ items: 1, suppressed: 1, counted: 0, reset: 0, unknown: 0, unchanged: 0 });
    expect(await store.get(address)).toMatchObject({ status: 'bounced' });
    expect(logged).toHaveLength(1);
    expect(logged[0]).not.toContain('@');
    expect(JSON.parse(logged[0] ?? '')).toMatchObject({
      level: 'info',
      items: 1,
      suppressed: 1,
      suppressedHashes: [addressHash(hashKey, address)],
    });
  });

  it('stops the cold start on a keyring without a hash key, naming the setting', async () => {
    const { env } = await deployment();
    const { hashKey: _dropped, ...withoutHashKey } = JSON.parse(keyringText);
    const start = () => createFeedbackHandler({ ...env, [ENV.signingKeys]: JSON.stringify(withoutHashKey) });
    expect(start).toThrow(ConfigError);
    expect(start).toThrow(/SIGNING_KEYS: .*hashKey/);
  });
});
