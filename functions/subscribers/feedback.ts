// What SES tells us about delivered mail (bounces, complaints, deliveries), read from the event a Lambda receives: an
// EventBridge event (the configuration set's destination), an SNS-delivered batch, or one bare SES record. Pure: the
// event in, one item per affected, valid address out; a malformed event throws without quoting any address.
import * as z from 'zod';
import { parseAddress } from './address.ts';
import type { Feedback } from './lifecycle.ts';

export interface FeedbackItem {
  /** Normalized (address.ts); recipients that are not valid addresses are left out. */
  address: string;
  kind: Feedback;
  /** The SES message id of the mail the feedback is about. */
  messageId?: string;
}

/** The event was not an SES feedback event we can read. The message names paths and problems, never values. */
export class FeedbackEventError extends Error {
  override readonly name = 'FeedbackEventError';
  constructor(
    readonly issues: readonly z.core.$ZodIssue[],
    options?: { cause?: unknown },
  ) {
    const lines = issues.map((issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`);
    super(`Malformed SES feedback event: ${lines.join('; ')}`, options);
  }
}

// SES may add fields at any time (its documentation says so), so every object here is loose: only what is read is
// checked. Docs: https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html and
// https://docs.aws.amazon.com/ses/latest/dg/notification-contents.html (the older identity notifications).
const Recipients = z.array(z.looseObject({ emailAddress: z.string() }));
const Mail = z.looseObject({ messageId: z.string().optional(), destination: z.array(z.string()) });

const BounceRecord = z.looseObject({
  mail: Mail,
  bounce: z.looseObject({
    bounceType: z.enum(['Permanent', 'Transient', 'Undetermined']),
    bounceSubType: z.string().optional(),
    bouncedRecipients: Recipients,
  }),
});

const ComplaintRecord = z.looseObject({
  mail: Mail,
  complaint: z.looseObject({
    complainedRecipients: Recipients.optional(),
    complaintFeedbackType: z.string().optional(),
  }),
});

const DeliveryRecord = z.looseObject({ mail: Mail, delivery: z.looseObject({ recipients: z.array(z.string()) }) });

/** Permanent: the address will not work again. Transient and Undetermined may pass; they count towards a limit. */
const BOUNCE_KIND = { Permanent: 'hard-bounce', Transient: 'soft-bounce', Undetermined: 'soft-bounce' } as const;

type Parsed<T> = { ok: true; value: T } | { ok: false; issues: z.core.$ZodIssue[] };

function parse<S extends z.ZodType>(schema: S, input: unknown): Parsed<z.output<S>> {
  const result = schema.safeParse(input);
  return result.success ? { ok: true, value: result.data } : { ok: false, issues: result.error.issues };
}

/** One SES record to items. Event types other than these three (Send, Open, Click, …) say nothing about the list. */
function itemsOf(type: string, record: unknown): Parsed<FeedbackItem[]> {
  switch (type) {
    case 'Bounce': {
      const parsed = parse(BounceRecord, record);
      if (!parsed.ok) return parsed;
      const { mail, bounce } = parsed.value;
      const addresses = bounce.bouncedRecipients.map((r) => r.emailAddress);
      return { ok: true, value: items(addresses, BOUNCE_KIND[bounce.bounceType], mail.messageId) };
    }
    case 'Complaint': {
      const parsed = parse(ComplaintRecord, record);
      if (!parsed.ok) return parsed;
      const { mail, complaint } = parsed.value;
      // `not-spam` (RFC 5965) is a receiver saying the mail was wrongly reported: it is not a complaint.
      if (complaint.complaintFeedbackType === 'not-spam') return { ok: true, value: [] };
      // Most receivers redact the complainant; SES then lists everyone it sent that message to, and so do we.
      const listed = complaint.complainedRecipients?.map((r) => r.emailAddress) ?? [];
      return { ok: true, value: items(listed.length > 0 ? listed : mail.destination, 'complaint', mail.messageId) };
    }
    case 'Delivery': {
      const parsed = parse(DeliveryRecord, record);
      if (!parsed.ok) return parsed;
      const { mail, delivery } = parsed.value;
      return { ok: true, value: items(delivery.recipients, 'delivery', mail.messageId) };
    }
    default:
      return { ok: true, value: [] };
  }
}

/** Each valid address once: a recipient listed twice (or in two spellings) is one bounce, not two. */
function items(recipients: readonly string[], kind: Feedback, messageId: string | undefined): FeedbackItem[] {
  const addresses = new Set<string>();
  for (const recipient of recipients) {
    const address = recipientAddress(recipient);
    if (address !== undefined) addresses.add(address);
  }
  return [...addresses].map((address) => ({ address, kind, ...(messageId === undefined ? {} : { messageId }) }));
}

/**
 * A recipient as SES writes it, to a normalized address: SES usually writes the bare address, but sometimes the
 * display-name form (`"Ada" <ada@example.com>`) or, taken from a DSN's Final-Recipient, `rfc822; ada@example.com`.
 */
export function recipientAddress(recipient: string): string | undefined {
  const angled = /<([^<>]*)>\s*$/.exec(recipient);
  const bare = angled ? (angled[1] ?? '') : recipient.replace(/^\s*rfc822\s*;/i, '');
  return parseAddress(bare);
}

/**
 * An SES record of either format: event publishing (configuration sets) names its type `eventType`, identity
 * notifications `notificationType`.
 */
const SesRecord = z
  .looseObject({ eventType: z.string().optional(), notificationType: z.string().optional() })
  .transform((record, ctx): FeedbackItem[] => {
    const type = record.eventType ?? record.notificationType;
    if (type === undefined) {
      ctx.addIssue({ code: 'custom', message: 'not an SES record: it has neither eventType nor notificationType' });
      return z.NEVER;
    }
    const parsed = itemsOf(type, record);
    if (parsed.ok) return parsed.value;
    // Passed on with their paths; never with their input, which may be an address.
    for (const issue of parsed.issues) ctx.addIssue({ ...issue, input: undefined });
    return z.NEVER;
  });

/** SNS carries the record as a JSON string. JSON.parse's own message quotes the text, which holds addresses. */
const JsonText = z.string().transform((text, ctx): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'is not valid JSON' });
    return z.NEVER;
  }
});

/** A Lambda event from an SNS subscription: one or more records, each with the SES record as its message. */
const SnsEvent = z
  .looseObject({ Records: z.array(z.looseObject({ Sns: z.looseObject({ Message: JsonText.pipe(SesRecord) }) })) })
  .transform((event) => event.Records.flatMap((record) => record.Sns.Message));

/** An EventBridge event from a configuration set's event destination: the SES record is the `detail`. */
const EventBridgeEvent = z
  .looseObject({ source: z.literal('aws.ses'), 'detail-type': z.string(), detail: SesRecord })
  .transform((event) => event.detail);

/** The feedback an SES event carries, in the order SES listed it. Throws FeedbackEventError on a malformed event. */
export function parseFeedbackEvent(event: unknown): FeedbackItem[] {
  const isObject = typeof event === 'object' && event !== null;
  const schema =
    isObject && 'Records' in event ? SnsEvent : isObject && 'detail' in event ? EventBridgeEvent : SesRecord;
  const result = schema.safeParse(event);
  if (!result.success) throw new FeedbackEventError(result.error.issues, { cause: result.error });
  return result.data;
}
