// Hands one finished MIME message to SES (SendRawEmail). The envelope is explicit: SES delivers to `to` alone, whatever
// the headers inside `raw` say. Failures become a SendError that says whether trying again can help.
import { type SESClient, SendRawEmailCommand } from '@aws-sdk/client-ses';
import { SendError } from '../core/errors.ts';
import { assertPlainAddress } from './mime.ts';

export interface RawSendInput {
  /** The envelope sender (MAIL FROM): a plain address, no display name. */
  from: string;
  /** The one recipient. */
  to: string;
  /** The whole message, as buildMime made it. */
  raw: Uint8Array;
  configurationSet?: string;
  /** Message tags for the configuration set's events (names and values: A-Z a-z 0-9 _ -). */
  tags?: Record<string, string>;
}

/** What SES allows in a message tag's name or value, and in a configuration set's name. */
const TAG_PART = /^[A-Za-z0-9_-]{1,256}$/;
const CONFIGURATION_SET = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Tags are checked, not rewritten: a tag quietly changed (`2026-W48.a` → `2026-W48_a`) could merge two values that
 * the event records must keep apart. Sorted by name, so the request is the same for the same input.
 */
/**
 * The two tags SES itself reads: it builds Gmail's `Feedback-ID` header (for the Postmaster Tools' spam reports per
 * campaign) from their values. The only names with a colon that SES accepts.
 */
export const FEEDBACK_ID_TAGS = new Set(['ses:feedback-id-a', 'ses:feedback-id-b']);

function messageTags(tags: Record<string, string>): { Name: string; Value: string }[] {
  return Object.entries(tags)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => {
      // Neither the bad name nor the bad value is repeated: either could be an address.
      if (!TAG_PART.test(name) && !FEEDBACK_ID_TAGS.has(name)) {
        throw new RangeError('A message tag name may hold only A-Z, a-z, 0-9, _ and -');
      }
      if (!TAG_PART.test(value)) {
        throw new RangeError(`The message tag ${name} has a value with characters other than A-Z, a-z, 0-9, _ and -`);
      }
      return { Name: name, Value: value };
    });
}

/** Names of errors that clear up by themselves: the send rate or daily quota, an outage, a slow answer. */
const TRANSIENT_NAMES = new Set([
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalServerError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);

/** Node's codes for a connection that failed or broke before an answer came. */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);

interface ErrorFacts {
  code: string;
  retryable: boolean;
  status?: number;
}

/**
 * Whether the same request can succeed later. SES answers throttling with HTTP 400, so names come before statuses;
 * any other 4xx (MessageRejected, MailFromDomainNotVerifiedException, ConfigurationSetDoesNotExistException,
 * AccountSendingPausedException…) and anything unknown fails the same way again.
 */
function factsOf(error: unknown): ErrorFacts {
  if (!(error instanceof Error)) return { code: 'Unknown', retryable: false };
  const { $metadata, code } = error as { $metadata?: { httpStatusCode?: number }; code?: unknown };
  const status = $metadata?.httpStatusCode;
  const at = status === undefined ? {} : { status };
  if (TRANSIENT_NAMES.has(error.name)) return { code: error.name, retryable: true, ...at };
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return { code, retryable: true, ...at };
  if (status !== undefined) return { code: error.name, retryable: status >= 500 || status === 429, status };
  return { code: error.name, retryable: false };
}

/** SES names the addresses it refuses in its messages ("…failed the check in region EU-WEST-1: a@b.com"). */
function withoutAddresses(text: string, recipient: string): string {
  return text
    .split(recipient)
    .join('[recipient]')
    .replace(/[^\s<>()"',;:]+@[^\s<>()"',;:]+/g, '[address]')
    .slice(0, 300);
}

export async function sendRawMessage(client: SESClient, input: RawSendInput): Promise<{ messageId: string }> {
  assertPlainAddress(input.to, 'recipient');
  assertPlainAddress(input.from, 'sender');
  if (input.configurationSet !== undefined && !CONFIGURATION_SET.test(input.configurationSet)) {
    throw new RangeError('A configuration set name may hold only A-Z, a-z, 0-9, _ and - (at most 64 characters)');
  }
  const tags = input.tags === undefined ? [] : messageTags(input.tags);
  const command = new SendRawEmailCommand({
    Source: input.from,
    // Explicit: SES then ignores To, Cc and Bcc in the message, so nothing parsed from a header adds a recipient.
    Destinations: [input.to],
    RawMessage: { Data: input.raw },
    ...(input.configurationSet === undefined ? {} : { ConfigurationSetName: input.configurationSet }),
    ...(tags.length === 0 ? {} : { Tags: tags }),
  });
  let messageId: string | undefined;
  try {
    ({ MessageId: messageId } = await client.send(command));
  } catch (error) {
    const facts = factsOf(error);
    const detail = error instanceof Error && error.message ? `: ${withoutAddresses(error.message, input.to)}` : '';
    const status = facts.status === undefined ? '' : `, HTTP ${facts.status}`;
    throw new SendError(`SES did not take the message (${facts.code}${status})${detail}`, facts.code, facts.retryable, {
      cause: error,
    });
  }
  // Taken but not numbered: sending again could deliver it twice, so this is not worth a retry.
  if (!messageId) throw new SendError('SES took the message but answered without a MessageId', 'NoMessageId', false);
  return { messageId };
}
