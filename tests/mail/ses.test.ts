// Sending through SES: a confirmation message built, sent to the aws-ses-v2-local stand-in and read back from its
// store; addresses checked before any request; failures classified as worth a retry or not, without the address.
import {
  ConfigurationSetDoesNotExistException,
  MailFromDomainNotVerifiedException,
  MessageRejected,
  SESClient,
  SESServiceException,
} from '@aws-sdk/client-ses';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { SendError } from '../../functions/core/errors.ts';
import { confirmationMessage } from '../../functions/mail/confirm-message.ts';
import { buildMime } from '../../functions/mail/mime.ts';
import { sendRawMessage } from '../../functions/mail/ses.ts';
import { sentMail } from '../stand-ins/ses.ts';
import { digestConfig } from '../support/digest.ts';

const endpoint = inject('sesEndpoint');
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
const clientAt = (url: string, maxAttempts = 3) =>
  new SESClient({ endpoint: url, region: 'eu-west-1', credentials: CREDENTIALS, maxAttempts });

const config = digestConfig();
const CONFIRM_URL = 'https://www.example.org/api/confirm?token=k1.CONFIRM-TOKEN';

/** A confirmation message as the sign-up route sends it: no List-* headers. */
async function confirmationFor(to: string) {
  const message = confirmationMessage({ config, confirmUrl: CONFIRM_URL, topics: ['AI', 'Health'] });
  const raw = await buildMime({
    from: config.digest.from,
    to,
    subject: message.subject,
    date: new Date('2026-11-24T12:00:00Z'),
    messageKey: 'confirm-2026-11-24',
    html: message.html,
    text: message.text,
  });
  return { message, raw };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('sending to the stand-in', () => {
  it('delivers the confirmation message to the one recipient, as built', async () => {
    // The stand-in's store is shared by every test of the run: this recipient is this test's alone.
    const to = 'ses-confirm-roundtrip@example.com';
    const { message, raw } = await confirmationFor(to);
    const { messageId } = await sendRawMessage(clientAt(endpoint), { from: config.digest.from.address, to, raw });
    expect(messageId).toMatch(/\S/);

    const stored = (await sentMail(endpoint)).filter((m) => m.destination.to.join(',').includes(to));
    const mine = stored.find((m) => m.messageId === messageId);
    expect(mine).toBeDefined();
    expect(mine!.from).toContain('digest@example.org');
    expect(mine!.from).toContain('Test Wire');
    expect(mine!.destination).toEqual({ to: [to], cc: [], bcc: [] });
    expect(mine!.subject).toBe('Confirm your subscription to Test Wire');
    expect(mine!.body.html).toBe(message.html);
    expect(mine!.body.text).toBe(message.text);
    expect(mine!.body.html).toContain(`href="${CONFIRM_URL}"`);
  });

  it('names the envelope explicitly: Source and the one Destination, the raw bytes as they are', async () => {
    const client = clientAt(endpoint);
    const send = vi.spyOn(client, 'send');
    const to = 'ses-confirm-envelope@example.com';
    const { raw } = await confirmationFor(to);
    await sendRawMessage(client, {
      from: config.digest.from.address,
      to,
      raw,
      configurationSet: 'digest-events',
      tags: { purpose: 'confirm', campaign: '2026-W48' },
    });
    expect(send).toHaveBeenCalledTimes(1);
    const { input } = send.mock.calls[0]![0];
    expect(input).toEqual({
      Source: 'digest@example.org',
      Destinations: [to],
      RawMessage: { Data: raw },
      ConfigurationSetName: 'digest-events',
      Tags: [
        { Name: 'campaign', Value: '2026-W48' },
        { Name: 'purpose', Value: 'confirm' },
      ],
    });
  });
});

describe('checked before any request', () => {
  const raw = new TextEncoder().encode('Subject: x\r\n\r\nx\r\n');

  it.each([
    ['a recipient with CRLF + Bcc', { to: 'x@y.com\r\nBcc: evil@z.com' }],
    ['a recipient list', { to: 'a@b.com, evil@z.com' }],
    ['a sender with a display name', { from: 'Test Wire <digest@example.org>' }],
    ['a tag value with a dot', { tags: { issue: '2026-W48.1' } }],
    ['a tag value that is an address', { tags: { reader: 'reader@example.com' } }],
    ['a tag name with a colon', { tags: { 'ses:caller': 'x' } }],
    ['an empty tag value', { tags: { purpose: '' } }],
    ['a configuration set with a space', { configurationSet: 'digest events' }],
  ])('rejects %s', async (_, override) => {
    const client = clientAt(endpoint);
    const send = vi.spyOn(client, 'send');
    const input = { from: 'digest@example.org', to: 'reader@example.com', raw, ...override };
    await expect(sendRawMessage(client, input)).rejects.toThrow(RangeError);
    expect(send).not.toHaveBeenCalled();
  });

  it('does not repeat a rejected tag value in its message', async () => {
    const input = { from: 'digest@example.org', to: 'reader@example.com', raw, tags: { r: 'reader@example.com' } };
    await expect(sendRawMessage(clientAt(endpoint), input)).rejects.toThrow(/^(?!.*reader@example\.com)/);
  });
});

describe('failures', () => {
  const to = 'reader.secret@example.com';
  const raw = new TextEncoder().encode('Subject: x\r\n\r\nx\r\n');

  async function failureOf(error: unknown): Promise<SendError> {
    const client = clientAt(endpoint);
    vi.spyOn(client, 'send').mockRejectedValueOnce(error as never);
    const failure = await sendRawMessage(client, { from: 'digest@example.org', to, raw }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SendError);
    return failure as SendError;
  }

  const serviceError = (name: string, status: number, message: string) =>
    new SESServiceException({
      name,
      $fault: status >= 500 ? 'server' : 'client',
      $metadata: { httpStatusCode: status },
      message,
    });

  it('a Throttling error is worth a retry, and its message does not name the recipient', async () => {
    const cause = serviceError('Throttling', 400, `Maximum sending rate exceeded while sending to ${to}.`);
    const failure = await failureOf(cause);
    expect(failure.retryable).toBe(true);
    expect(failure.code).toBe('Throttling');
    expect(failure.cause).toBe(cause);
    expect(failure.message).toContain('Throttling');
    expect(failure.message).not.toContain(to);
    expect(failure.message).not.toContain('reader.secret');
  });

  it('a MessageRejected error is not worth a retry, and its message does not name the recipient', async () => {
    const cause = new MessageRejected({
      $metadata: { httpStatusCode: 400 },
      message: `Email address is not verified. The following identities failed the check in region EU-WEST-1: ${to}`,
    });
    const failure = await failureOf(cause);
    expect(failure.retryable).toBe(false);
    expect(failure.code).toBe('MessageRejected');
    expect(failure.cause).toBe(cause);
    expect(failure.message).toContain('Email address is not verified');
    expect(failure.message).not.toContain(to);
    expect(failure.message).not.toContain('reader.secret');
  });

  it.each([
    ['ServiceUnavailable (503)', serviceError('ServiceUnavailable', 503, 'Service unavailable'), true],
    ['InternalFailure (500)', serviceError('InternalFailure', 500, 'Internal failure'), true],
    ['an unknown 5xx', serviceError('BadGateway', 502, 'Bad gateway'), true],
    ['a time-out', Object.assign(new Error('Connection timed out after 5000 ms'), { name: 'TimeoutError' }), true],
    ['a reset connection', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), true],
    [
      'MailFromDomainNotVerified',
      new MailFromDomainNotVerifiedException({ $metadata: { httpStatusCode: 400 }, message: 'MX not found' }),
      false,
    ],
    [
      'ConfigurationSetDoesNotExist',
      new ConfigurationSetDoesNotExistException({ $metadata: { httpStatusCode: 400 }, message: 'No such set' }),
      false,
    ],
    ['AccountSendingPaused', serviceError('AccountSendingPausedException', 400, 'Sending paused'), false],
    ['an unknown 4xx', serviceError('InvalidParameterValue', 400, `Illegal address ${to}`), false],
    ['something that is not an Error', 'boom', false],
  ])('%s: retryable is %s', async (_, error, retryable) => {
    const failure = await failureOf(error);
    expect(failure.retryable).toBe(retryable);
    expect(failure.cause).toBe(error);
    expect(failure.message).not.toContain(to);
  });

  it('a refused connection (no stand-in listening) is worth a retry', async () => {
    const failure = await sendRawMessage(clientAt('http://127.0.0.1:1', 1), {
      from: 'digest@example.org',
      to,
      raw,
    }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SendError);
    expect((failure as SendError).retryable).toBe(true);
    expect((failure as SendError).message).not.toContain(to);
  });
});
