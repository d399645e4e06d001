import { ConfigError } from '../core/errors.ts';
import type { TopicChoice } from '../core/signup-form.ts';
import { shown } from '../core/text.ts';
import { addressHash, parseAddress } from './address.ts';
import type { ConfirmationRequest } from './api.ts';
import { isSuppressed, signUp } from './lifecycle.ts';
import { type Subscriber, type SubscriberStatus, type SubscriberStore, WriteConflict } from './model.ts';
import { byCodePoint, columnsOf, readCsv, topicMatcher, unguardCell } from './operator-csv.ts';

// ---- import: what happens to one address

export type SkipReason =
  | 'unreadable'
  | 'no-address'
  | 'invalid-address'
  | 'unknown-topic'
  | 'status-in-file'
  | 'suppressed'
  | 'erased'
  | 'unsubscribed'
  | 'cooldown';

export type Decision =
  | { outcome: 'already-confirmed' | 'suppressed' | 'erased' | 'unsubscribed' | 'cooldown' }
  | { outcome: 'save'; next: Subscriber; expectedVersion: number | undefined };

export interface ImportRequest {
  address: string;
  topics: string[];
  source: string;
  at: Date;
}

/**
 * An import without --confirmed is a sign-up (lifecycle.signUp: suppression, cooldown, pending), except that a
 * confirmed subscriber is left alone: the form mails one again because the person just asked; an import is not
 * the person asking.
 */
export function decidePending(
  current: Subscriber | undefined,
  tombstone: SubscriberStatus | undefined,
  request: ImportRequest,
  cooldownMs: number,
): Decision {
  if (current?.status === 'confirmed') return { outcome: 'already-confirmed' };
  const result = signUp(current, tombstone, {
    address: request.address,
    topics: request.topics,
    consent: { at: request.at, source: request.source },
    cooldownMs,
  });
  return result.outcome === 'send'
    ? { outcome: 'save', next: result.next, expectedVersion: result.expectedVersion }
    : { outcome: result.outcome };
}

/**
 * An import with --confirmed rests on a consent given elsewhere, so it may only add what no one has said no to: never
 * over a bounce or complaint, an unsubscribe, or an erasure (any tombstone: the person asked to be forgotten, and an
 * old list must not bring them back). A pending sign-up becomes confirmed with the import's consent and topics.
 */
export function decideConfirmed(
  current: Subscriber | undefined,
  tombstone: SubscriberStatus | undefined,
  request: ImportRequest,
): Decision {
  const consent = { at: request.at, source: request.source };
  if (!current) {
    if (tombstone) return { outcome: isSuppressed(tombstone) ? 'suppressed' : 'erased' };
    const next: Subscriber = {
      address: request.address,
      status: 'confirmed',
      topics: [...request.topics],
      consent,
      createdAt: request.at,
      updatedAt: request.at,
      confirmedAt: request.at,
      softBounces: 0,
      version: 1,
    };
    return { outcome: 'save', next, expectedVersion: undefined };
  }
  if (isSuppressed(current.status)) return { outcome: 'suppressed' };
  if (current.status === 'unsubscribed') return { outcome: 'unsubscribed' };
  if (current.status === 'confirmed') return { outcome: 'already-confirmed' };
  const next: Subscriber = {
    ...current,
    status: 'confirmed',
    topics: [...request.topics],
    consent,
    confirmedAt: request.at,
    softBounces: 0,
    updatedAt: request.at,
    version: current.version + 1,
  };
  return { outcome: 'save', next, expectedVersion: current.version };
}

export interface ImportReport {
  /** Rows after the header that hold anything. */
  rows: number;
  /** Saved: new, pending again, or (with --confirmed) confirmed. */
  imported: number;
  confirmationsSent: number;
  /** Confirmed already: left as they were, not mailed. */
  alreadyConfirmed: number;
  skipped: { line: number; reason: SkipReason; detail?: string; subscriber?: string }[];
  /** A later row with an address an earlier row had (as normalized); only the first is imported. */
  duplicates: { line: number; firstLine: number }[];
  /** A store or mail error on this row; the row may be saved (pending) without its mail. */
  failed: { line: number; subscriber: string; error: string; saved: boolean }[];
}

export interface ImportDeps {
  store: SubscriberStore;
  hashKey: Uint8Array;
  clock: () => Date;
  /** The site's topics, read only when a row names one. */
  topics: () => Promise<readonly TopicChoice[]>;
  /** Absent with --confirmed: nothing is mailed. */
  mail?: {
    cooldownMs: number;
    confirmUrl: (address: string, at: Date) => string;
    send: (request: ConfirmationRequest) => Promise<void>;
  };
}

export const SAVE_ATTEMPTS = 3;

export async function importSubscribers(
  text: string,
  file: string,
  source: string,
  deps: ImportDeps,
): Promise<ImportReport> {
  const { rows: records, unreadable } = readCsv(text);
  const header = records[0];
  if (!header || (unreadable[0] && unreadable[0].line < header.line)) {
    throw new ConfigError(`${file}: no header line; the first line must name an "address" (or "email") column`);
  }
  const columns = columnsOf(header, file);
  const rows = records.slice(1);
  const report: ImportReport = {
    rows: rows.length + unreadable.length,
    imported: 0,
    confirmationsSent: 0,
    alreadyConfirmed: 0,
    skipped: unreadable.map((row) => ({
      line: row.line,
      reason: 'unreadable' as const,
      detail:
        row.code !== 'CSV_QUOTE_NOT_CLOSED'
          ? `not readable as CSV (${row.code}, up to line ${row.lastLine})`
          : row.lastLine > row.line
            ? `a quote opened here is never closed, so lines ${row.line}-${row.lastLine} were read as one field`
            : 'a quote opened here is never closed',
    })),
    duplicates: [],
    failed: [],
  };
  const topicCells = columns.topics === undefined ? [] : rows.map((row) => row.fields[columns.topics!] ?? '');
  const siteTopics = topicCells.some((cell) => cell.trim() !== '') ? await deps.topics() : [];
  const match = topicMatcher(siteTopics);
  const labels = new Map(siteTopics.map((t) => [t.slug, t.label]));
  const seen = new Map<string, number>();

  for (const row of rows) {
    const skip = (reason: SkipReason, extra: { detail?: string; subscriber?: string } = {}) =>
      report.skipped.push({ line: row.line, reason, ...extra });
    const cell = unguardCell((row.fields[columns.address] ?? '').trim());
    if (cell === '') {
      skip('no-address');
      continue;
    }
    const address = parseAddress(cell);
    if (!address) {
      skip('invalid-address');
      continue;
    }
    const firstLine = seen.get(address);
    if (firstLine !== undefined) {
      report.duplicates.push({ line: row.line, firstLine });
      continue;
    }
    seen.set(address, row.line);
    const subscriber = addressHash(deps.hashKey, address);
    // An export fed back in (a move to a new table) carries everyone, including those who left: they stay out.
    const fileStatus = columns.status === undefined ? '' : (row.fields[columns.status] ?? '').trim().toLowerCase();
    if (['unsubscribed', 'bounced', 'complained'].includes(fileStatus)) {
      skip('status-in-file', { detail: fileStatus, subscriber });
      continue;
    }
    const names = (columns.topics === undefined ? '' : (row.fields[columns.topics] ?? ''))
      .split(';')
      .map((name) => name.trim())
      .filter(Boolean);
    const unknown = names.find((name) => match(name) === undefined);
    if (unknown !== undefined) {
      // A person who chose some topics must not silently get all of them, or the wrong ones.
      skip('unknown-topic', { detail: shown(unknown), subscriber });
      continue;
    }
    const topics = [...new Set(names.map((name) => match(name)!))].sort(byCodePoint);
    try {
      const outcome = await importOne(deps, { address, topics, source, at: deps.clock() });
      if (outcome === 'already-confirmed') report.alreadyConfirmed += 1;
      else if (outcome !== 'saved') skip(outcome, { subscriber });
      else {
        report.imported += 1;
        if (deps.mail) {
          try {
            const at = deps.clock();
            await deps.mail.send({
              to: address,
              confirmUrl: deps.mail.confirmUrl(address, at),
              topics: topics.map((slug) => labels.get(slug) ?? slug),
            });
            report.confirmationsSent += 1;
          } catch (error) {
            report.failed.push({ line: row.line, subscriber, error: errorName(error), saved: true });
          }
        }
      }
    } catch (error) {
      report.failed.push({ line: row.line, subscriber, error: errorName(error), saved: false });
    }
  }
  report.skipped.sort((a, b) => a.line - b.line);
  return report;
}

/** Reads, decides and writes one address; a concurrent change (a sign-up, a bounce) means: read and decide again. */
export async function importOne(
  deps: ImportDeps,
  request: ImportRequest,
): Promise<Exclude<Decision['outcome'], 'save'> | 'saved'> {
  const hash = addressHash(deps.hashKey, request.address);
  for (let attempt = 1; ; attempt += 1) {
    const [current, tombstone] = await Promise.all([deps.store.get(request.address), deps.store.tombstone(hash)]);
    const decision = deps.mail
      ? decidePending(current, tombstone, request, deps.mail.cooldownMs)
      : decideConfirmed(current, tombstone, request);
    if (decision.outcome !== 'save') return decision.outcome;
    try {
      await deps.store.save(decision.next, decision.expectedVersion);
      return 'saved';
    } catch (error) {
      if (!(error instanceof WriteConflict) || attempt >= SAVE_ATTEMPTS) throw error;
    }
  }
}

/** The error's name (and a SendError's code): its message might quote an address. */
export function errorName(error: unknown): string {
  const { name, code } = error as { name?: string; code?: unknown };
  return typeof code === 'string' && code !== name ? `${name} (${code})` : (name ?? 'Error');
}
