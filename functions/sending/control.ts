// An issue's sending, as the operator steers and reads it: approval, pause, resume, cancel (control.json), the
// planner's progress (plan.json) and the report (report.json), all in the digest's state location.
import * as z from 'zod';
import { StorageError } from '../core/errors.ts';
import type { Storage } from '../storage/port.ts';
import { OUTCOMES, type Outcome } from './model.ts';

const folder = (issueId: string) => `digest/sends/${issueId}/`;
const JSON_OPTIONS = { contentType: 'application/json', cacheControl: 'no-store' } as const;

export type SendState = 'active' | 'paused' | 'cancelled';

export interface SendControl {
  state: SendState;
  /** Set by `npm run digest -- approve` when the settings require an approval. */
  approvedAt?: Date;
}

export interface PlanProgress {
  /** Shards whose confirmed subscribers are all queued. */
  done: number[];
  /** For a shard under way: where its next page starts. */
  cursors: Record<string, string>;
  /** Recipients queued so far. */
  planned: number;
  finishedAt?: Date;
}

export interface SendReport {
  issueId: string;
  planned: number;
  outcomes: Record<Outcome, number>;
  /** Keyed hashes of recipients claimed but never confirmed sent (never resent). */
  unknownRecipients: string[];
  /** Every planned recipient has an outcome. */
  done: boolean;
  at: Date;
}

const instant = z.iso.datetime().transform((s) => new Date(s));
const Control = z.object({ state: z.enum(['active', 'paused', 'cancelled']), approvedAt: instant.optional() });
const Progress = z.object({
  done: z.array(z.number().int()),
  cursors: z.record(z.string(), z.string()),
  planned: z.number().int(),
  finishedAt: instant.optional(),
});

async function readJson<T>(state: Storage, key: string, schema: z.ZodType<T>): Promise<T | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await state.read(key);
  } catch (error) {
    if (error instanceof StorageError && error.code === 'NotFound') return undefined;
    throw error;
  }
  const parsed = schema.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
  if (!parsed.success) throw new StorageError(`${state.displayName(key)} is not what this version wrote`, 'Unreadable');
  return parsed.data;
}

const write = (state: Storage, key: string, value: unknown) =>
  state.write(key, new TextEncoder().encode(`${JSON.stringify(value, null, 1)}\n`), JSON_OPTIONS);

export async function readControl(state: Storage, issueId: string): Promise<SendControl> {
  return (await readJson(state, `${folder(issueId)}control.json`, Control)) ?? { state: 'active' };
}

export async function writeControl(state: Storage, issueId: string, control: SendControl): Promise<void> {
  await write(state, `${folder(issueId)}control.json`, control);
}

/**
 * Pauses an issue's sending (as `npm run digest -- pause` does), keeping its approval; a cancelled issue stays
 * cancelled. Returns the state the issue is in afterwards.
 */
export async function pauseSending(state: Storage, issueId: string): Promise<SendState> {
  const control = await readControl(state, issueId);
  if (control.state !== 'active') return control.state;
  await writeControl(state, issueId, { ...control, state: 'paused' });
  return 'paused';
}

export async function readProgress(state: Storage, issueId: string): Promise<PlanProgress> {
  return (await readJson(state, `${folder(issueId)}plan.json`, Progress)) ?? { done: [], cursors: {}, planned: 0 };
}

export async function writeProgress(state: Storage, issueId: string, progress: PlanProgress): Promise<void> {
  await write(state, `${folder(issueId)}plan.json`, progress);
}

export async function writeReport(state: Storage, report: SendReport): Promise<void> {
  await write(state, `${folder(report.issueId)}report.json`, report);
}

export function emptyOutcomes(): Record<Outcome, number> {
  return Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
}
