// The digest's memory, in the state location: the state (last issue, articles already sent, every issue so far)
// and a record per issue, written before the issue's files so a re-run after a crash prepares the same issue.
// Unlike the feeds' manifest this is not a cache: a missing state means "no issue yet", but an unreadable one stops
// the run rather than start again at issue #1 and repeat every article.
import * as z from 'zod';
import type { ArticleCard } from '../core/article.ts';
import { type DigestState, EMPTY_STATE, type IssueRecord } from '../core/digest/issue.ts';
import { StorageError } from '../core/errors.ts';
import type { Storage } from '../storage/port.ts';

export const DIGEST_STATE_KEY = 'digest/state.json';
export const recordKey = (issueId: string) => `digest/issues/${issueId}.json`;

const WEEK_ID = /^\d{4}-W\d{2}$/;
const instant = z.iso.datetime().transform((s) => new Date(s));

const StoredState = z.object({
  format: z.literal(1),
  last: z.object({ id: z.string().regex(WEEK_ID), number: z.number().int().min(1), dueAt: instant }).optional(),
  issued: z.record(z.string(), instant),
  issues: z.array(
    z.object({
      id: z.string().regex(WEEK_ID),
      number: z.number().int().min(1),
      dueAt: instant,
      since: instant,
      shown: z.number().int().min(0),
      headlines: z.array(z.string()),
    }),
  ),
});

const StoredRecord = z.object({
  format: z.literal(1),
  id: z.string().regex(WEEK_ID),
  number: z.number().int().min(1),
  dueAt: instant,
  from: instant,
  since: instant,
  articleIds: z.array(z.string()),
});

const JSON_OPTIONS = { contentType: 'application/json', cacheControl: 'no-store' } as const;
const encode = (value: unknown) => new TextEncoder().encode(`${JSON.stringify(value, null, 1)}\n`);

async function readJson(state: Storage, key: string): Promise<unknown | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await state.read(key);
  } catch (error) {
    if (error instanceof StorageError && error.code === 'NotFound') return undefined;
    throw error;
  }
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new StorageError(`${state.displayName(key)} is not valid JSON; restore it from a backup`, 'Unreadable', {
      cause: error,
    });
  }
}

function invalid(state: Storage, key: string, error: z.ZodError): StorageError {
  const where = error.issues[0]?.path.join('.') || '(top level)';
  return new StorageError(
    `${state.displayName(key)} is not a digest state this version understands (at ${where}); restore it from a backup`,
    'Unreadable',
  );
}

export async function readDigestState(state: Storage): Promise<DigestState> {
  const raw = await readJson(state, DIGEST_STATE_KEY);
  if (raw === undefined) return EMPTY_STATE;
  const parsed = StoredState.safeParse(raw);
  if (!parsed.success) throw invalid(state, DIGEST_STATE_KEY, parsed.error);
  const { last, issued, issues } = parsed.data;
  return { ...(last ? { last } : {}), issued: new Map(Object.entries(issued)), issues };
}

export async function writeDigestState(state: Storage, digest: DigestState): Promise<void> {
  const issued = Object.fromEntries([...digest.issued.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
  await state.write(
    DIGEST_STATE_KEY,
    encode({ format: 1, ...(digest.last ? { last: digest.last } : {}), issued, issues: digest.issues }),
    JSON_OPTIONS,
  );
}

export async function readIssueRecord(state: Storage, issueId: string): Promise<IssueRecord | undefined> {
  const key = recordKey(issueId);
  const raw = await readJson(state, key);
  if (raw === undefined) return undefined;
  const parsed = StoredRecord.safeParse(raw);
  if (!parsed.success) throw invalid(state, key, parsed.error);
  const { format: _, ...record } = parsed.data;
  return record;
}

export async function writeIssueRecord(state: Storage, record: IssueRecord): Promise<void> {
  await state.write(recordKey(record.id), encode({ format: 1, ...record }), JSON_OPTIONS);
}

/** The articles an issue shows, in rank order: what the senders fill every reader's message from. */
export const issueArticlesKey = (issueId: string) => `digest/issues/${issueId}.articles.json`;

export interface IssueCopy {
  issue: { id: string; number: number; dueAt: Date; since: Date };
  articles: ArticleCard[];
}

const StoredCopy = z.object({
  format: z.literal(1),
  issue: z.object({ id: z.string().regex(WEEK_ID), number: z.number().int().min(1), dueAt: instant, since: instant }),
  // The articles were validated when the issue was prepared; this checks the file is the shape this code wrote.
  articles: z.array(z.looseObject({ id: z.string(), publishedAt: z.string(), updatedAt: z.string().optional() })),
});

export async function writeIssueCopy(state: Storage, copy: IssueCopy): Promise<void> {
  await state.write(issueArticlesKey(copy.issue.id), encode({ format: 1, ...copy }), JSON_OPTIONS);
}

export async function readIssueCopy(state: Storage, issueId: string): Promise<IssueCopy | undefined> {
  const key = issueArticlesKey(issueId);
  const raw = await readJson(state, key);
  if (raw === undefined) return undefined;
  const parsed = StoredCopy.safeParse(raw);
  if (!parsed.success) throw invalid(state, key, parsed.error);
  const articles = parsed.data.articles.map((stored) => {
    const { updatedAt, ...rest } = stored as unknown as ArticleCard & { publishedAt: string; updatedAt?: string };
    return {
      ...rest,
      publishedAt: new Date(stored.publishedAt),
      ...(updatedAt ? { updatedAt: new Date(updatedAt) } : {}),
    } as ArticleCard;
  });
  return { issue: parsed.data.issue, articles };
}
