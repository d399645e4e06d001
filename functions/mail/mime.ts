// The exact MIME message of one digest or one transactional message (a sign-up's confirmation): built by
// nodemailer's MailComposer (never by pasting strings), with the headers bulk senders need (RFC 8058 one-click
// unsubscribe, List-Id) when it goes to a list, and nothing an article or a form could inject.
import { createHash } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import { encodeWord, foldLines } from 'nodemailer/lib/mime-funcs';
import * as z from 'zod';

export interface MimeInput {
  from: { name: string; address: string };
  to: string;
  replyTo?: string;
  subject: string;
  /** The time: the same message built twice is the same bytes (SES replaces Date and Message-ID in transit). */
  date: Date;
  /** A stable id for the message: issue and recipient. */
  messageKey: string;
  html: string;
  text: string;
  /**
   * `List-Id`: a name and an id (a domain-like string: `digest.news.example.com`). With `unsubscribeUrl`, for a message
   * to a list; both absent for a transactional message (no List-* header at all); one without the other is an error.
   */
  list?: { name: string; id: string };
  /** The https one-click unsubscribe URL (RFC 8058). */
  unsubscribeUrl?: string;
}

const plainAddress = z.email();

/**
 * Only a bare address passes: nodemailer reads `"x@y\r\nBcc: evil@z"` as a group and would add evil@z as a recipient,
 * so nothing it could read as a list, a group, a display name or a second line may reach it.
 */
export function assertPlainAddress(address: string, role: string): void {
  if (address.length > 254 || !plainAddress.safeParse(address).success || /[\s,;:<>"()[\]\\]/.test(address)) {
    throw new RangeError(`The ${role} address is not a plain email address`);
  }
}

/**
 * RFC 8058 asks for https. The one exception is a local preview's own server (`http://localhost:8080/api/…`), which
 * no mail provider will ever see.
 */
function isOneClickUrl(url: string): boolean {
  if (!/^[!-~]+$/.test(url) || /[<>]/.test(url)) return false;
  if (url.startsWith('https://')) return true;
  return /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?\//.test(url);
}

/** A display name on one line, without the characters nodemailer would read as address syntax. */
function displayName(name: string): string {
  return name
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * `"Name" <id>`, the name as an encoded word when it is not plain ASCII (RFC 2919, RFC 2047). Folded here, since a
 * prepared header is written as it is: a long non-ASCII name would otherwise be one line over 998 octets.
 */
function listId(list: NonNullable<MimeInput['list']>): string {
  const name = displayName(list.name).replace(/["\\]/g, '');
  const phrase = /^[ -~]*$/.test(name) ? `"${name}"` : encodeWord(name, 'Q', 52);
  return foldLines(`${phrase} <${list.id}>`, 76 - 'List-Id: '.length);
}

/** `<2026-W48.3f5a…@news.example.com>`: the issue and a hash of the recipient, at the sender's domain. */
export function messageIdFor(messageKey: string, recipient: string, senderAddress: string): string {
  const hash = createHash('sha256').update(`${messageKey}\n${recipient}`).digest('hex').slice(0, 24);
  const domain = senderAddress.slice(senderAddress.lastIndexOf('@') + 1);
  return `<${messageKey.replace(/[^A-Za-z0-9.-]/g, '-')}.${hash}@${domain}>`;
}

/** The List-* headers of a message to a list; none for a transactional message. */
function listHeaders(input: MimeInput) {
  const { list, unsubscribeUrl } = input;
  if (list === undefined && unsubscribeUrl === undefined) return undefined;
  // Half a list message would be a bulk message without its one-click unsubscribe, or a List-Id nobody can leave.
  if (list === undefined || unsubscribeUrl === undefined) {
    throw new RangeError('A message to a list needs both its List-Id and its one-click unsubscribe URL');
  }
  if (!isOneClickUrl(unsubscribeUrl)) {
    throw new RangeError('The one-click unsubscribe URL must be an https URL (RFC 8058)');
  }
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(list.id)) throw new RangeError('The List-Id must look like a domain');
  return {
    'List-Id': { prepared: true, value: listId(list) },
    // RFC 8058: the https URL alone (no mailto: nothing here reads a mailbox), and the one-click marker.
    'List-Unsubscribe': `<${unsubscribeUrl}>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  };
}

export async function buildMime(input: MimeInput): Promise<Uint8Array> {
  assertPlainAddress(input.to, 'recipient');
  assertPlainAddress(input.from.address, 'sender');
  if (input.replyTo !== undefined) assertPlainAddress(input.replyTo, 'reply-to');
  const headers = listHeaders(input);
  const messageId = messageIdFor(input.messageKey, input.to, input.from.address);
  const composer = new MailComposer({
    from: { name: displayName(input.from.name), address: input.from.address },
    to: [{ name: '', address: input.to }],
    ...(input.replyTo ? { replyTo: [{ name: '', address: input.replyTo }] } : {}),
    subject: input.subject.replace(/[\p{Cc}\p{Zl}\p{Zp}]/gu, ' '),
    date: input.date,
    messageId,
    // A boundary derived from the message and its content: the same message is the same bytes, and no article can
    // contain the boundary, since that would need text that contains its own hash.
    baseBoundary: createHash('sha256')
      .update(`${messageId}\n${input.subject}\n${input.text}\n${input.html}`)
      .digest('hex')
      .slice(0, 24),
    // A bare CR would reach the message as it is (nodemailer only turns LF into CRLF): RFC 5322 forbids it.
    text: input.text.replace(/\r\n?/g, '\n'),
    html: input.html.replace(/\r\n?/g, '\n'),
    textEncoding: 'quoted-printable',
    newline: 'windows',
    ...(headers ? { headers } : {}),
  });
  const message: Buffer = await composer.compile().build();
  return new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
}
