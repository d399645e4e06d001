import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { ConfigError } from '../core/errors.ts';
import type { TopicChoice } from '../core/signup-form.ts';
import { slugify } from '../core/slug.ts';
import type { Subscriber } from './model.ts';

export const EXPORT_COLUMNS = [
  'address',
  'status',
  'topics',
  'created_at',
  'confirmed_at',
  'consent_source',
  'consent_at',
] as const;

/**
 * Spreadsheets run a cell that starts with `=`, `+`, `-` or `@` (and, says OWASP, a tab or carriage return) as a
 * formula, CSV quoting or not: an address like `-x@example.com` or a crafted consent source could then compute, or
 * fetch, when the export is opened (CSV injection). A leading `'` makes such a cell text. Values that already start
 * with `'` before one of those get a second, so `unguardCell` can undo exactly this and an export imports unchanged.
 */
const FORMULA_START = /^'*[=+\-@\t\r]/;
export const guardCell = (value: string) => (FORMULA_START.test(value) ? `'${value}` : value);
export const unguardCell = (value: string) => (/^'/.test(value) && FORMULA_START.test(value) ? value.slice(1) : value);

export const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The export's CSV text: a header, then one row per subscriber, by address (code point order: the same everywhere). */
export function exportCsv(subscribers: readonly Subscriber[]): string {
  const rows = [...subscribers]
    .sort((a, b) => byCodePoint(a.address, b.address))
    .map((s) => [
      s.address,
      s.status,
      s.topics.join(';'),
      s.createdAt.toISOString(),
      s.confirmedAt?.toISOString() ?? '',
      s.consent.source,
      s.consent.at.toISOString(),
    ]);
  return stringify(rows, { header: true, columns: [...EXPORT_COLUMNS], cast: { string: guardCell } });
}

// ---- import: reading the file

export interface ImportRow {
  line: number;
  fields: string[];
}

export interface UnreadableRow {
  line: number;
  /** Where the parser gave up on it: after an unclosed quote, the end of the file. */
  lastLine: number;
  code: string;
}

/**
 * Records with the line each starts on, and those csv-parse could not read. Line breaks become `\n` first: csv-parse
 * counts a CRLF inside a quoted field as two lines, and the report's line numbers must be those an editor shows.
 * Quotes inside an unquoted field are taken as they are (relax_quotes), so only a quote that is opened and never closed
 * makes a row unreadable, and then everything after it too: no CSV reader can tell where that field was meant to end.
 */
export function readCsv(text: string): { rows: ImportRow[]; unreadable: UnreadableRow[] } {
  const rows: ImportRow[] = [];
  const unreadable: UnreadableRow[] = [];
  let lastEnd = 0;
  parse(text.replace(/\r\n?/g, '\n'), {
    bom: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: false,
    skip_records_with_error: true,
    on_record: (fields: string[], context) => {
      if (fields.some((field) => field.trim() !== '')) rows.push({ line: lastEnd + 1, fields });
      lastEnd = context.lines;
      return null;
    },
    on_skip: (error) => {
      const end = typeof error?.lines === 'number' ? error.lines : lastEnd + 1;
      unreadable.push({ line: lastEnd + 1, lastLine: end, code: error?.code ?? 'unknown' });
      lastEnd = end;
      return undefined;
    },
  });
  return { rows, unreadable };
}

export function columnsOf(header: ImportRow, file: string): { address: number; topics?: number; status?: number } {
  const names = header.fields.map((name) => name.trim().toLowerCase());
  const addressColumns = names.flatMap((name, index) => (name === 'address' || name === 'email' ? [index] : []));
  if (addressColumns.length !== 1) {
    // The header is not quoted back: in a file without one, the first line is somebody's address.
    throw new ConfigError(
      addressColumns.length === 0
        ? `${file}: line ${header.line} must be a header naming an "address" (or "email") column, with an optional "topics" column`
        : `${file}: the header names ${addressColumns.length} address columns ("address", "email"); keep one`,
    );
  }
  const topics = names.indexOf('topics');
  const status = names.indexOf('status');
  return { address: addressColumns[0]!, ...(topics >= 0 ? { topics } : {}), ...(status >= 0 ? { status } : {}) };
}

/** Topic names as a person writes them (`AI`, `ai`, `Space`) → the site's slugs. */
export function topicMatcher(topics: readonly TopicChoice[]): (name: string) => string | undefined {
  const slugs = new Map<string, string>();
  for (const topic of topics) {
    for (const spelling of [slugify(topic.label), slugify(topic.slug), topic.slug]) slugs.set(spelling, topic.slug);
  }
  return (name) => slugs.get(name) ?? slugs.get(slugify(name));
}
