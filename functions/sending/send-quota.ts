// What SES lets this account send (GetSendQuota), and how many days an issue takes within it. SES counts recipients;
// each of our messages has one, so messages and recipients are the same count here.
import { GetSendQuotaCommand, type SESClient } from '@aws-sdk/client-ses';
import * as z from 'zod';

export interface SendQuota {
  /** Messages a second: the limiter's rate. */
  maxPerSecond: number;
  /** Messages in any 24 hours; Infinity where SES answers -1 (no limit). */
  max24h: number;
  sentLast24h: number;
  /** max24h − sentLast24h, never below 0 (SES may lower a quota under what was already sent). */
  remaining24h: number;
}

const Answer = z.object({
  MaxSendRate: z.number().positive(),
  Max24HourSend: z.number().min(-1),
  SentLast24Hours: z.number().nonnegative(),
});

export async function sendQuota(client: SESClient): Promise<SendQuota> {
  const parsed = Answer.safeParse(await client.send(new GetSendQuotaCommand({})));
  if (!parsed.success) {
    throw new Error(`SES answered GetSendQuota without a usable quota: ${z.prettifyError(parsed.error)}`);
  }
  const { MaxSendRate, Max24HourSend, SentLast24Hours } = parsed.data;
  const max24h = Max24HourSend === -1 ? Number.POSITIVE_INFINITY : Max24HourSend;
  return {
    maxPerSecond: MaxSendRate,
    max24h,
    sentLast24h: SentLast24Hours,
    remaining24h: Math.max(0, max24h - SentLast24Hours),
  };
}

/**
 * Days an issue to `recipients` takes, today included: today's remaining quota first, then max24h a day. 0 for nobody;
 * Infinity when the quota is spent and SES allows nothing a day. An upper bound: SES's window slides (any 24 hours),
 * and what was sent in the last day frees its share of the quota as it turns 24 hours old.
 */
export function daysToSend(recipients: number, quota: Pick<SendQuota, 'max24h' | 'remaining24h'>): number {
  if (!(Number.isInteger(recipients) && recipients >= 0)) {
    throw new RangeError(`A recipient count must be a whole number ≥ 0, not ${recipients}`);
  }
  if (recipients === 0) return 0;
  const afterToday = recipients - quota.remaining24h;
  if (afterToday <= 0) return 1;
  if (quota.max24h <= 0) return Number.POSITIVE_INFINITY;
  return 1 + Math.ceil(afterToday / quota.max24h);
}
