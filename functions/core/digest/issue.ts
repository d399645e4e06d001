// What goes in an issue: which week is due, which articles are new since the last issue, and the state that moves
// on once the issue is complete. Pure: time, articles and state are arguments.
import type { ArticleFacts } from '../article.ts';
import type { DigestSettings } from '../config.ts';
import { selectArticles } from '../select.ts';
import { dueWeek } from './calendar.ts';

const DAY_MS = 86_400_000;

/**
 * How long an article's id is remembered after its issue. The look-back window can be at most 90 days, so an
 * article dated earlier than that before the latest issue can never be eligible again, and its id may be forgotten:
 * the state stays small however many articles pass through.
 */
export const REMEMBER_DAYS = 90;

/** One issue as recorded before its files are written, so a re-run after a crash prepares the same issue. */
export interface IssueRecord {
  /** ISO week in the digest's zone: `2026-W48`. */
  id: string;
  /** 1, 2, 3…: the issue's number, shown in the subject and header. */
  number: number;
  /** When the issue fell due (the configured weekday and hour of its week); it is the issue's time. */
  dueAt: Date;
  /** The earliest publication time the issue looked at (exclusive); earlier than `since` by the look-back window. */
  from: Date;
  /** The start of the period the issue reports on: the previous issue's time, or a week before this one. */
  since: Date;
  /** Every article that was new in this issue, in rank order: shown, or left out by the per-provider cap. */
  articleIds: string[];
}

/** A past issue as the archive lists it. */
export interface IssueSummary {
  id: string;
  number: number;
  dueAt: Date;
  since: Date;
  /** How many articles the issue shows. */
  shown: number;
  /** The titles of its top stories, for the archive's index and feeds. */
  headlines: string[];
}

/** What survives between runs. Losing it would renumber issues and repeat articles, so it lives in retained storage. */
export interface DigestState {
  /** The latest complete issue; the next one starts after its `dueAt`. */
  last?: { id: string; number: number; dueAt: Date };
  /** Ids of articles already in an issue, with their publication time (for forgetting them after REMEMBER_DAYS). */
  issued: Map<string, Date>;
  /** Every issue so far, oldest first. */
  issues: IssueSummary[];
}

export const EMPTY_STATE: DigestState = { issued: new Map(), issues: [] };

export type IssuePlan =
  /** No issue is due yet this week (the weekday and hour have not passed in the digest's zone). */
  | { kind: 'not-due' }
  /** This week's issue is already complete: the same issue again, for rewriting its files byte for byte. */
  | { kind: 'done'; record: IssueRecord }
  /** No new article, and the settings skip an empty week: nothing is written, nothing moves on. */
  | { kind: 'empty'; weekId: string }
  /** A new issue (or one recorded before a crash, prepared again with the same articles). */
  | { kind: 'new'; record: IssueRecord; resumed: boolean };

export interface PlanInput {
  now: Date;
  settings: DigestSettings;
  minQuality: number;
  /** Every valid article there is (selection happens here, at the issue's time). */
  articles: readonly ArticleFacts[];
  state: DigestState;
  /** The record of an issue for the due week found in storage (a run that stopped before it completed). */
  recorded?: IssueRecord;
  /** Orders the new articles (rank order); see rank.ts. */
  rank: (articles: readonly ArticleFacts[], dueAt: Date) => ArticleFacts[];
}

/** The earliest publication time (exclusive) an issue due at `dueAt` takes, after the previous issue at `last`. */
export function windowStart(dueAt: Date, lookBackDays: number, last: DigestState['last']): Date {
  const lookBack = dueAt.getTime() - lookBackDays * DAY_MS;
  return new Date(last ? Math.min(last.dueAt.getTime(), lookBack) : lookBack);
}

/** Which issue, if any, a run at `input.now` prepares. */
export function planIssue(input: PlanInput): IssuePlan {
  const { settings, state } = input;
  const due = dueWeek(input.now, settings);
  if (!due) return { kind: 'not-due' };
  if (state.last?.id === due.weekId) {
    const done = input.recorded?.id === due.weekId ? input.recorded : undefined;
    if (done) return { kind: 'done', record: done };
  }
  if (state.last && state.last.id >= due.weekId) return { kind: 'not-due' };
  if (input.recorded?.id === due.weekId) return { kind: 'new', record: input.recorded, resumed: true };

  const from = windowStart(due.dueAt, settings.lookBackDays, state.last);
  const { selected } = selectArticles(input.articles, { now: due.dueAt, minQuality: input.minQuality });
  const fresh = selected.filter((a) => a.publishedAt.getTime() > from.getTime() && !state.issued.has(a.id));
  if (fresh.length === 0 && settings.skipEmptyWeek) return { kind: 'empty', weekId: due.weekId };
  const record: IssueRecord = {
    id: due.weekId,
    number: (state.last?.number ?? 0) + 1,
    dueAt: due.dueAt,
    from,
    since: state.last ? state.last.dueAt : new Date(due.dueAt.getTime() - 7 * DAY_MS),
    articleIds: input.rank(fresh, due.dueAt).map((a) => a.id),
  };
  return { kind: 'new', record, resumed: false };
}

/** The state once `record` is complete: its articles remembered, old ids forgotten, the issue listed. */
export function advanceState(
  state: DigestState,
  record: IssueRecord,
  published: ReadonlyMap<string, Date>,
  summary: IssueSummary,
): DigestState {
  const forgetBefore = record.dueAt.getTime() - REMEMBER_DAYS * DAY_MS;
  const issued = new Map<string, Date>();
  for (const [id, date] of state.issued) if (date.getTime() >= forgetBefore) issued.set(id, date);
  for (const id of record.articleIds) {
    const date = published.get(id);
    if (date) issued.set(id, date);
  }
  const issues = [...state.issues.filter((i) => i.id !== record.id), summary].sort((a, b) => (a.id < b.id ? -1 : 1));
  return { last: { id: record.id, number: record.number, dueAt: record.dueAt }, issued, issues };
}
