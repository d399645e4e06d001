import { afterEach, describe, expect, inject, it } from 'vitest';
import { ENV } from '../../functions/env.ts';
import { createSendHandler, WAIT_DELAY_SECONDS } from '../../functions/handlers/send-digest.ts';
import { writeControl } from '../../functions/sending/control.ts';
import { S3Storage } from '../../functions/storage/s3.ts';
import { generateKeyringText } from '../../functions/subscribers/tokens.ts';
import { sentMail } from '../stand-ins/ses.ts';
import { DIGEST_SETTINGS } from '../support/digest.ts';
import { HANDLER_SITE, useLambdaEnvironment } from '../support/lambda.ts';
import { preparedIssueToSend } from '../support/sending-fixture.ts';
import { type RunningQueue, startQueue, startSesWithoutQuota } from '../support/sqs.ts';

const { logged, captureLogs } = useLambdaEnvironment();
const ISSUE_ID = '2026-W48';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

/** A prepared issue, two confirmed subscribers, a send queue stand-in, and the handler wired to them. */
async function setUp(options: { sesEndpoint?: string; withQueue?: boolean } = {}) {
  const { s3, state, subscribers, ledger, addresses } = await preparedIssueToSend({
    issueId: ISSUE_ID,
    number: 3,
    title: 'A story that waits',
    label: 'wait',
  });
  const queue: RunningQueue = await startQueue();
  stops.push(queue.stop);
  const queueUrl = `${queue.endpoint}/123456789012/send`;
  const handler = createSendHandler({
    AWS_ENDPOINT_URL_S3: inject('s3Endpoint'),
    AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
    AWS_ENDPOINT_URL_SES: options.sesEndpoint ?? inject('sesEndpoint'),
    AWS_ENDPOINT_URL_SQS: queue.endpoint,
    [ENV.subscriberTable]: subscribers,
    [ENV.ledgerTable]: ledger,
    [ENV.digestStateBucket]: state,
    ...(options.withQueue === false ? {} : { [ENV.sendQueueUrl]: queueUrl }),
    [ENV.siteConfig]: JSON.stringify({ ...HANDLER_SITE, siteUrl: 'https://www.example.org/', digest: DIGEST_SETTINGS }),
    [ENV.signingKeys]: generateKeyringText(),
  });
  const bodies = addresses.map((address) => JSON.stringify({ issueId: ISSUE_ID, recipients: [address] }));
  const event = { Records: bodies.map((body, i) => ({ messageId: `m${i + 1}`, body })) };
  const stateStorage = new S3Storage(s3, { bucket: state, prefix: '' });
  const mailTo = async (address: string) =>
    (await sentMail(inject('sesEndpoint'))).filter((m) => m.destination.to.includes(address));
  return { handler, queue, queueUrl, bodies, event, addresses, stateStorage, mailTo };
}

const logLines = () => logged.map((line) => JSON.parse(line) as Record<string, unknown>);

describe('the sender handler, when a batch has to wait', () => {
  it('queues the batches of a paused issue again, delayed, and reports them done, sending nothing', async () => {
    const { handler, queue, queueUrl, bodies, event, addresses, stateStorage, mailTo } = await setUp();
    await writeControl(stateStorage, ISSUE_ID, { state: 'paused' });
    captureLogs();
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    expect(queue.sent).toEqual(
      bodies.map((MessageBody) => ({ QueueUrl: queueUrl, MessageBody, DelaySeconds: WAIT_DELAY_SECONDS })),
    );
    for (const address of addresses) expect(await mailTo(address)).toEqual([]);
    expect(logLines()).toContainEqual(
      expect.objectContaining({ message: 'digest batches wait', reason: 'paused', queuedAgain: 2 }),
    );
  });

  it('queues the batches again when the daily quota is spent, logs DailyQuotaExhausted, and leaves SES alone for a while', async () => {
    const ses = await startSesWithoutQuota();
    stops.push(ses.stop);
    const { handler, queue, bodies, event } = await setUp({ sesEndpoint: ses.endpoint });
    captureLogs();
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    expect(queue.sent.map((m) => m.MessageBody)).toEqual(bodies);
    expect(queue.sent.every((m) => m.DelaySeconds === WAIT_DELAY_SECONDS)).toBe(true);
    expect(logLines().filter((l) => l.code === 'DailyQuotaExhausted')).toHaveLength(1);
    const callsAfterFirst = ses.calls();
    expect(callsAfterFirst).toBeGreaterThan(0);

    // The next event, within the delay: queued again without asking SES, and the alarm's log line again.
    expect(await handler({ Records: [{ messageId: 'm9', body: bodies[0] }] })).toEqual({ batchItemFailures: [] });
    expect(ses.calls()).toBe(callsAfterFirst);
    expect(queue.sent).toHaveLength(3);
    expect(logLines().filter((l) => l.code === 'DailyQuotaExhausted')).toHaveLength(2);
  });

  it('fails the batches back to the queue when SQS refuses to take them again', async () => {
    const { handler, queue, event, stateStorage } = await setUp();
    await writeControl(stateStorage, ISSUE_ID, { state: 'paused' });
    queue.refuse();
    captureLogs();
    expect(await handler(event)).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }] });
  });

  it('fails the batches back without a send queue setting (a local run)', async () => {
    const { handler, queue, event, stateStorage } = await setUp({ withQueue: false });
    await writeControl(stateStorage, ISSUE_ID, { state: 'paused' });
    captureLogs();
    expect(await handler(event)).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }] });
    expect(queue.sent).toEqual([]);
  });

  it('still fails back a batch that fails, so only failures count towards the dead-letter queue', async () => {
    const { handler, queue, event } = await setUp();
    captureLogs();
    const broken = { messageId: 'm3', body: '{"issueId":"2026-W01","recipients":[]}' };
    const result = await handler({ Records: [...event.Records, broken] });
    // Issue 2026-W01 has no prepared copy: a real failure. The others are sent.
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm3' }] });
    expect(queue.sent).toEqual([]);
  });
});
