import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Article } from '../../../functions/core/article.ts';
import type { DigestSettings } from '../../../functions/core/config.ts';
import { dueInstant, isoWeekId, WEEKDAYS, weekBounds } from '../../../functions/core/digest/calendar.ts';
import {
  advanceState,
  type DigestState,
  EMPTY_STATE,
  type IssuePlan,
  type IssueRecord,
  type IssueSummary,
  planIssue,
  REMEMBER_DAYS,
  windowStart,
} from '../../../functions/core/digest/issue.ts';
import { rankArticles } from '../../../functions/core/digest/rank.ts';
import { selectArticles } from '../../../functions/core/select.ts';
import { makeArticle } from '../../support/article.ts';
import { testConfig } from '../../support/site-config.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const MIN_QUALITY = 40;

const at = (iso: string) => new Date(iso);
const plusHours = (date: Date, hours: number) => new Date(date.getTime() + hours * HOUR_MS);
const minusDays = (date: Date, days: number) => new Date(date.getTime() - days * DAY_MS);

/** Digest settings as parsed from a site configuration: Monday 07:00 in Berlin unless overridden. */
function digestSettings(overrides: Record<string, unknown> = {}): DigestSettings {
  const digest = testConfig({
    digest: {
      from: { name: 'Test Wire', address: 'digest@example.org' },
      postalAddress: 'Test Wire, 1 Example Street, 10115 Berlin',
      weekday: 'monday',
      hour: 7,
      timeZone: 'Europe/Berlin',
      ...overrides,
    },
  }).digest;
  if (!digest) throw new Error('the test configuration has no digest');
  return digest;
}

const SETTINGS = digestSettings(); // lookBackDays 14, skipEmptyWeek true (the defaults)

// Monday 07:00 in Berlin (CET, UTC+1) in November 2026.
const DUE_W46 = at('2026-11-09T06:00:00Z');
const DUE_W47 = at('2026-11-16T06:00:00Z');
const DUE_W48 = at('2026-11-23T06:00:00Z');

interface PlanOptions {
  settings?: DigestSettings;
  recorded?: IssueRecord;
}

function plan(now: Date, articles: readonly Article[], state: DigestState = EMPTY_STATE, options: PlanOptions = {}) {
  const settings = options.settings ?? SETTINGS;
  return planIssue({
    now,
    settings,
    minQuality: MIN_QUALITY,
    articles,
    state,
    ...(options.recorded ? { recorded: options.recorded } : {}),
    rank: (fresh, dueAt) => rankArticles(fresh, dueAt, settings.lookBackDays),
  });
}

/** The record of a plan that must be a new issue. */
function newIssue(result: IssuePlan): IssueRecord {
  if (result.kind !== 'new') throw new Error(`expected a new issue, got ${JSON.stringify(result)}`);
  return result.record;
}

function summaryOf(record: IssueRecord, headlines: string[] = []): IssueSummary {
  const { id, number, dueAt, since } = record;
  return { id, number, dueAt, since, shown: record.articleIds.length, headlines };
}

/** What the prepare step does once an issue's files are written: the state moves on (dates as published at dueAt). */
function complete(state: DigestState, record: IssueRecord, articles: readonly Article[]): DigestState {
  const { selected } = selectArticles(articles, { now: record.dueAt, minQuality: MIN_QUALITY });
  return advanceState(state, record, new Map(selected.map((a) => [a.id, a.publishedAt])), summaryOf(record));
}

/** A state as it is after one complete issue, the one due at `dueAt` in week `id`. */
function stateAfter(id: string, dueAt: Date, articles: readonly Article[]): DigestState {
  const record = newIssue(plan(plusHours(dueAt, 2), articles));
  expect(record.id).toBe(id);
  return complete(EMPTY_STATE, record, articles);
}

const sorted = (ids: readonly string[]) => [...ids].sort();

describe('planIssue: no article is in two issues', () => {
  it('over 12 consecutive weekly runs with daily articles and late uploads, every id appears at most once', () => {
    // Weeks 38 to 49 of 2026 in Berlin: the clocks go back on 25 October, so the due hour moves from 05:00Z to 06:00Z.
    const weeks = Array.from({ length: 12 }, (_, k) => `2026-W${38 + k}`);
    const runs = weeks.map((week) => plusHours(dueInstant(week, SETTINGS), 3));

    // One article a day at noon UTC; every third day also a late upload dated 5 days back, every fourth day one
    // dated 20 days back (beyond the 14-day look-back window, whenever it is uploaded).
    const uploads: { article: Article; uploadedAt: Date; kind: 'daily' | 'late' | 'backdated' }[] = [];
    for (let day = 0; day < 100; day++) {
      const noon = new Date(Date.UTC(2026, 7, 25, 12) + day * DAY_MS); // from 25 August 2026
      const date = noon.toISOString().slice(0, 10);
      uploads.push({ article: makeArticle(`daily-${date}`, { publishedAt: noon }), uploadedAt: noon, kind: 'daily' });
      if (day % 3 === 0) {
        const publishedAt = plusHours(minusDays(noon, 5), 3);
        uploads.push({ article: makeArticle(`late-${date}`, { publishedAt }), uploadedAt: noon, kind: 'late' });
      }
      if (day % 4 === 0) {
        const publishedAt = minusDays(noon, 20);
        uploads.push({
          article: makeArticle(`backdated-${date}`, { publishedAt }),
          uploadedAt: noon,
          kind: 'backdated',
        });
      }
    }

    let state = EMPTY_STATE;
    const issues: IssueRecord[] = [];
    for (const now of runs) {
      const visible = uploads.filter((u) => u.uploadedAt.getTime() <= now.getTime()).map((u) => u.article);
      const record = newIssue(plan(now, visible, state));
      state = complete(state, record, visible);
      issues.push(record);
    }

    const all = issues.flatMap((issue) => issue.articleIds);
    expect(new Set(all).size).toBe(all.length);
    expect(issues.map((issue) => issue.id)).toEqual(weeks);
    expect(issues.map((issue) => issue.number)).toEqual(weeks.map((_, k) => k + 1));

    // And nothing is lost: every article that was uploaded by the last run, dated inside the first issue's window and
    // not beyond the last issue, is in an issue; no backdated one ever is.
    const first = issues[0]!;
    const last = issues.at(-1)!;
    const lastRun = runs.at(-1)!;
    const expected = uploads.filter(
      ({ article, uploadedAt, kind }) =>
        kind !== 'backdated' &&
        uploadedAt.getTime() <= lastRun.getTime() &&
        article.publishedAt.getTime() > first.from.getTime() &&
        article.publishedAt.getTime() <= last.dueAt.getTime(),
    );
    expect(sorted(all)).toEqual(sorted(expected.map((u) => u.article.id)));
    expect(all.some((id) => id.startsWith('backdated-'))).toBe(false);
    expect(all.filter((id) => id.startsWith('late-')).length).toBeGreaterThan(20);
  });

  describe('with random publication dates, upload weeks, runs, crashes and settings', () => {
    const FIRST_WEEK = '2026-W44'; // through the end of daylight saving time and week 2026-W53
    const WEEK_COUNT = 12;
    const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Pacific/Auckland'] as const;
    const PER_WEEK = 10_000; // positions within a week are drawn as tenths of a per mille of its length

    const scenario = fc.record({
      weekday: fc.constantFrom(...WEEKDAYS),
      hour: fc.integer({ min: 0, max: 23 }),
      timeZone: fc.constantFrom(...ZONES),
      lookBackDays: fc.integer({ min: 1, max: 30 }),
      skipEmptyWeek: fc.boolean(),
      // Per week: no run (a skipped week), one or two; a run may stop before the state moves on (a crash).
      runs: fc.array(
        fc.array(
          fc.record({
            at: fc.integer({ min: 0, max: PER_WEEK - 1 }),
            crash: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
          }),
          { maxLength: 2 },
        ),
        { minLength: WEEK_COUNT, maxLength: WEEK_COUNT },
      ),
      articles: fc.array(
        fc.record({
          // Minutes from the upload to the publication date: uploaded up to 30 days late or 10 days early.
          publishedMinute: fc.integer({ min: -30 * 24 * 60, max: 10 * 24 * 60 }),
          uploadWeek: fc.integer({ min: 0, max: WEEK_COUNT - 1 }),
          uploadAt: fc.integer({ min: 0, max: PER_WEEK - 1 }),
          kind: fc.constantFrom('ok', 'ok', 'ok', 'draft', 'weak'),
        }),
        { minLength: 10, maxLength: 40 },
      ),
    });

    type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

    function simulate(s: Scenario) {
      const settings = digestSettings({
        weekday: s.weekday,
        hour: s.hour,
        timeZone: s.timeZone,
        lookBackDays: s.lookBackDays,
        skipEmptyWeek: s.skipEmptyWeek,
      });
      const weeks = [{ id: FIRST_WEEK, ...weekBounds(FIRST_WEEK, s.timeZone) }];
      while (weeks.length < WEEK_COUNT) {
        const id = isoWeekId(weeks.at(-1)!.end, s.timeZone);
        weeks.push({ id, ...weekBounds(id, s.timeZone) });
      }
      const within = (week: (typeof weeks)[number], position: number) =>
        new Date(
          week.start.getTime() + Math.floor(((week.end.getTime() - week.start.getTime()) * position) / PER_WEEK),
        );
      const uploads = s.articles.map((a, i) => {
        const uploadedAt = within(weeks[a.uploadWeek]!, a.uploadAt);
        const article = makeArticle(`a${i}`, {
          publishedAt: new Date(uploadedAt.getTime() + a.publishedMinute * 60_000),
          published: a.kind !== 'draft',
          quality: a.kind === 'weak' ? MIN_QUALITY - 1 : 70,
        });
        return { article, kind: a.kind, uploadWeek: a.uploadWeek, uploadedAt };
      });

      let state = EMPTY_STATE;
      const recorded = new Map<string, IssueRecord>(); // the issue records in storage
      const completed: { record: IssueRecord; week: number }[] = [];
      for (const [w, week] of weeks.entries()) {
        // An article exists from its upload week on.
        const visible = uploads.filter((u) => u.uploadWeek <= w).map((u) => u.article);
        for (const run of [...(s.runs[w] ?? [])].sort((a, b) => a.at - b.at)) {
          const now = within(week, run.at);
          const stored = recorded.get(isoWeekId(now, s.timeZone));
          const result = plan(now, visible, state, { settings, ...(stored ? { recorded: stored } : {}) });
          if (result.kind === 'done') {
            expect(result.record).toBe(completed.at(-1)?.record);
            continue;
          }
          if (result.kind !== 'new') continue;
          if (result.resumed) expect(result.record).toBe(stored);
          else recorded.set(result.record.id, result.record);
          if (run.crash) continue;
          state = complete(state, result.record, visible);
          completed.push({ record: result.record, week: w });
        }
      }
      return { settings, weeks, uploads, completed };
    }

    it('never puts an article in two issues, and numbers the complete issues 1, 2, 3… in week order', () => {
      fc.assert(
        fc.property(scenario, (s) => {
          const { weeks, completed } = simulate(s);
          const all = completed.flatMap((c) => c.record.articleIds);
          expect(new Set(all).size).toBe(all.length);
          expect(completed.map((c) => c.record.number)).toEqual(completed.map((_, i) => i + 1));
          for (const [i, { record, week }] of completed.entries()) {
            expect(record.id).toBe(weeks[week]!.id);
            const previous = completed[i - 1]?.record;
            expect(record.since).toEqual(previous ? previous.dueAt : minusDays(record.dueAt, 7));
          }
        }),
        { numRuns: 300 },
      );
    });

    it('puts an article in exactly the first issue that sees it published, when it is inside that issue’s window', () => {
      fc.assert(
        fc.property(scenario, (s) => {
          const { settings, uploads, completed } = simulate(s);
          for (const { article, kind, uploadWeek } of uploads) {
            const p = article.publishedAt.getTime();
            const issuesWithIt = completed.filter((c) => c.record.articleIds.includes(article.id));
            if (kind !== 'ok') {
              expect(issuesWithIt).toEqual([]);
              continue;
            }
            // The first complete issue that has the article (its upload week has come) and for which it is due.
            const first = completed.findIndex((c) => c.week >= uploadWeek && c.record.dueAt.getTime() >= p);
            const issue = completed[first];
            const previous = completed[first - 1];
            const lookBack = issue ? issue.record.dueAt.getTime() - settings.lookBackDays * DAY_MS : 0;
            const inWindow =
              issue !== undefined && p > Math.min(previous?.record.dueAt.getTime() ?? lookBack, lookBack);
            expect(issuesWithIt.map((c) => c.record.id)).toEqual(inWindow ? [issue.record.id] : []);
          }
        }),
        { numRuns: 300 },
      );
    });

    it('puts every article uploaded before publishedAt + lookBackDays − 7 days in exactly one issue, when its upload week has one', () => {
      // The upload week's issue falls due less than 7 days after the upload, so it is within lookBackDays of the
      // article's date (or, for an article dated later, a later issue takes it as new since the previous issue).
      fc.assert(
        fc.property(scenario, (s) => {
          const { settings, uploads, completed } = simulate(s);
          const lastDue = completed.at(-1)?.record.dueAt.getTime() ?? Number.NEGATIVE_INFINITY;
          for (const { article, kind, uploadWeek, uploadedAt } of uploads) {
            const p = article.publishedAt.getTime();
            const inTime = uploadedAt.getTime() < p + (settings.lookBackDays - 7) * DAY_MS;
            const uploadWeekHasIssue = completed.some((c) => c.week === uploadWeek);
            if (kind !== 'ok' || !inTime || !uploadWeekHasIssue || p > lastDue) continue;
            const count = completed.filter((c) => c.record.articleIds.includes(article.id)).length;
            expect(count, `${article.id} (published ${article.publishedAt.toISOString()})`).toBe(1);
          }
        }),
        { numRuns: 300 },
      );
    });
  });
});

describe('planIssue: the window of an issue', () => {
  const early = makeArticle('early', { publishedAt: at('2026-11-13T10:00:00Z') });
  const afterFirst = stateAfter('2026-W47', DUE_W47, [early]);

  it('takes a late upload dated 4 days before the previous issue into the next issue', () => {
    const late = makeArticle('late', { publishedAt: at('2026-11-12T06:00:00Z') }); // uploaded after the W47 issue
    const record = newIssue(plan(plusHours(DUE_W48, 2), [early, late], afterFirst));
    expect(record.articleIds).toEqual(['late']);
  });

  it('leaves out a late upload dated before the look-back window (lookBackDays before the issue)', () => {
    const backdated = makeArticle('backdated', { publishedAt: at('2026-11-09T05:59:59Z') }); // 14 days + 1 s before
    const fresh = makeArticle('fresh', { publishedAt: at('2026-11-20T09:00:00Z') });
    const record = newIssue(plan(plusHours(DUE_W48, 2), [early, backdated, fresh], afterFirst));
    expect(record.articleIds).toEqual(['fresh']);
  });

  it('starts the window at the earlier of the previous issue and lookBackDays before this one, exclusive', () => {
    expect(windowStart(DUE_W48, 14, { id: '2026-W47', number: 1, dueAt: DUE_W47 })).toEqual(minusDays(DUE_W48, 14));
    expect(windowStart(DUE_W48, 3, { id: '2026-W47', number: 1, dueAt: DUE_W47 })).toEqual(DUE_W47);
    expect(windowStart(DUE_W48, 14, undefined)).toEqual(minusDays(DUE_W48, 14));

    const onTheEdge = makeArticle('edge', { publishedAt: minusDays(DUE_W48, 14) });
    const justInside = makeArticle('inside', { publishedAt: new Date(minusDays(DUE_W48, 14).getTime() + 1) });
    const record = newIssue(plan(plusHours(DUE_W48, 2), [early, onTheEdge, justInside], afterFirst));
    expect(record.from).toEqual(minusDays(DUE_W48, 14));
    expect(record.articleIds).toEqual(['inside']);
  });

  it('with a short look-back, still takes everything dated after the previous issue', () => {
    const settings = digestSettings({ lookBackDays: 2 });
    const monday = makeArticle('monday', { publishedAt: at('2026-11-16T09:00:00Z') }); // a week before the issue
    const record = newIssue(plan(plusHours(DUE_W48, 2), [early, monday], afterFirst, { settings }));
    expect(record.from).toEqual(DUE_W47);
    expect(record.articleIds).toEqual(['monday']);
  });

  it('loses nothing in a skipped week: the next issue holds its articles and starts at the previous issue', () => {
    const settings = digestSettings({ lookBackDays: 10 });
    const w46 = [makeArticle('before-w46', { publishedAt: at('2026-11-05T09:00:00Z') })];
    const record46 = newIssue(plan(plusHours(DUE_W46, 1), w46, EMPTY_STATE, { settings }));
    const state = complete(EMPTY_STATE, record46, w46);
    // No run at all in week 47.
    const later = [
      ...w46,
      makeArticle('week-46', { publishedAt: at('2026-11-10T09:00:00Z') }),
      makeArticle('week-47', { publishedAt: at('2026-11-18T09:00:00Z') }),
      makeArticle('week-48', { publishedAt: at('2026-11-23T05:00:00Z') }),
    ];
    const record = newIssue(plan(plusHours(DUE_W48, 1), later, state, { settings }));
    expect(record).toMatchObject({ id: '2026-W48', number: 2, since: DUE_W46, from: DUE_W46 });
    expect(sorted(record.articleIds)).toEqual(['week-46', 'week-47', 'week-48']);
  });

  it('gives the first issue a week before its due time as `since`', () => {
    const record = newIssue(plan(plusHours(DUE_W48, 1), [early]));
    expect(record).toMatchObject({ number: 1, since: DUE_W47, from: minusDays(DUE_W48, 14) });
  });
});

describe('planIssue: which articles are eligible', () => {
  const now = plusHours(DUE_W48, 3);

  it('leaves out unpublished, below-quality, scheduled and duplicate articles', () => {
    const url = 'https://www.gridpower.example/story/';
    const articles = [
      makeArticle('kept', { publishedAt: at('2026-11-20T09:00:00Z') }),
      makeArticle('draft', { published: false }),
      makeArticle('weak', { quality: MIN_QUALITY - 0.5 }),
      makeArticle('at-the-bar', { quality: MIN_QUALITY }),
      makeArticle('scheduled', { publishedAt: plusHours(DUE_W48, 1) }), // after the issue's time, before the run
      makeArticle('original', { originalUrl: url, publishedAt: at('2026-11-18T09:00:00Z') }),
      makeArticle('reupload', { originalUrl: `${url}?utm_source=feed`, publishedAt: at('2026-11-19T09:00:00Z') }),
    ];
    const record = newIssue(plan(now, articles));
    expect(sorted(record.articleIds)).toEqual(['at-the-bar', 'kept', 'original']);
  });

  it('takes a scheduled article into the next issue once it is due', () => {
    const articles = [
      makeArticle('story', { publishedAt: at('2026-11-20T09:00:00Z') }),
      makeArticle('scheduled', { publishedAt: plusHours(DUE_W48, 1) }),
    ];
    const record = newIssue(plan(now, articles));
    expect(record.articleIds).toEqual(['story']);
    const state = complete(EMPTY_STATE, record, articles);
    expect(newIssue(plan(at('2026-11-30T09:00:00Z'), articles, state)).articleIds).toEqual(['scheduled']);
  });

  it('leaves out an article already in an earlier issue, although it is still inside the look-back window', () => {
    const story = makeArticle('story', { publishedAt: at('2026-11-15T09:00:00Z') });
    const state = stateAfter('2026-W47', DUE_W47, [story]);
    expect(state.issued.has('story')).toBe(true);
    const fresh = makeArticle('fresh', { publishedAt: at('2026-11-20T09:00:00Z') });
    expect(newIssue(plan(now, [story, fresh], state)).articleIds).toEqual(['fresh']);
  });

  it('lists the new articles in rank order', () => {
    const articles = [
      makeArticle('fair', { quality: 50, publishedAt: at('2026-11-22T09:00:00Z') }),
      makeArticle('best', { quality: 90, publishedAt: at('2026-11-17T09:00:00Z') }),
      makeArticle('good', { quality: 70, publishedAt: at('2026-11-20T09:00:00Z') }),
    ];
    expect(newIssue(plan(now, articles)).articleIds).toEqual(['best', 'good', 'fair']);
  });

  it('in an empty week, prepares nothing when skipEmptyWeek is true', () => {
    expect(plan(now, [makeArticle('draft', { published: false })])).toEqual({ kind: 'empty', weekId: '2026-W48' });
  });

  it('in an empty week, prepares an issue with no articles when skipEmptyWeek is false', () => {
    const settings = digestSettings({ skipEmptyWeek: false });
    const state = stateAfter('2026-W47', DUE_W47, [makeArticle('old', { publishedAt: at('2026-11-13T09:00:00Z') })]);
    expect(plan(now, [], state, { settings })).toEqual({
      kind: 'new',
      resumed: false,
      record: {
        id: '2026-W48',
        number: 2,
        dueAt: DUE_W48,
        from: minusDays(DUE_W48, 14),
        since: DUE_W47,
        articleIds: [],
      },
    });
  });
});

describe('planIssue: when an issue is due', () => {
  const articles = [makeArticle('story', { publishedAt: at('2026-11-20T09:00:00Z') })];

  it('is not due before the configured weekday and hour in the zone (Monday 07:00 in Berlin is 06:00Z in winter)', () => {
    expect(plan(at('2026-11-23T05:59:59.999Z'), articles)).toEqual({ kind: 'not-due' });
    expect(plan(at('2026-11-22T23:30:00Z'), articles)).toEqual({ kind: 'not-due' }); // Monday 00:30 in Berlin
    const record = newIssue(plan(at('2026-11-23T06:00:00Z'), articles));
    expect(record).toMatchObject({ id: '2026-W48', dueAt: DUE_W48 });
  });

  it('follows daylight saving time: Monday 07:00 in Berlin is 05:00Z in summer', () => {
    const june = [makeArticle('june', { publishedAt: at('2026-05-30T09:00:00Z') })];
    expect(plan(at('2026-06-01T04:59:59Z'), june)).toEqual({ kind: 'not-due' });
    expect(newIssue(plan(at('2026-06-01T05:00:00Z'), june))).toMatchObject({
      id: '2026-W23',
      dueAt: at('2026-06-01T05:00:00Z'),
    });
  });

  it('is due for the rest of the week, with the configured instant as the issue time', () => {
    const record = newIssue(plan(at('2026-11-29T22:59:59Z'), articles)); // Sunday 23:59:59 in Berlin
    expect(record).toMatchObject({ id: '2026-W48', dueAt: DUE_W48 });
  });

  it('names an issue by the ISO week in the zone: 1 January 2027 is in 2026-W53', () => {
    const settings = digestSettings({ weekday: 'friday', hour: 7, timeZone: 'Pacific/Auckland', skipEmptyWeek: false });
    // Friday 1 January 2027, 07:00 in Auckland (UTC+13) is still 31 December in UTC.
    expect(plan(at('2026-12-31T17:59:59Z'), articles, EMPTY_STATE, { settings })).toEqual({ kind: 'not-due' });
    expect(newIssue(plan(at('2026-12-31T18:00:00Z'), articles, EMPTY_STATE, { settings }))).toMatchObject({
      id: '2026-W53',
      dueAt: at('2026-12-31T18:00:00Z'),
    });
  });

  it('names an issue by the ISO week in the zone: Sunday evening in Los Angeles is Monday of the next week in UTC', () => {
    const settings = digestSettings({
      weekday: 'sunday',
      hour: 18,
      timeZone: 'America/Los_Angeles',
      skipEmptyWeek: false,
    });
    const record = newIssue(plan(at('2027-01-04T03:00:00Z'), articles, EMPTY_STATE, { settings }));
    expect(record).toMatchObject({ id: '2026-W53', dueAt: at('2027-01-04T02:00:00Z') });
  });

  it('numbers consecutive issues 1, 2, 3 across the year end', () => {
    const settings = digestSettings({ weekday: 'thursday', hour: 9, timeZone: 'UTC', skipEmptyWeek: false });
    let state = EMPTY_STATE;
    const issues: IssueRecord[] = [];
    for (const now of ['2026-12-24T10:00:00Z', '2026-12-31T10:00:00Z', '2027-01-07T10:00:00Z']) {
      const record = newIssue(plan(at(now), [], state, { settings }));
      state = complete(state, record, []);
      issues.push(record);
    }
    expect(issues.map((i) => [i.id, i.number])).toEqual([
      ['2026-W52', 1],
      ['2026-W53', 2],
      ['2027-W01', 3],
    ]);
    expect(state.last).toEqual({ id: '2027-W01', number: 3, dueAt: at('2027-01-07T09:00:00Z') });
  });
});

describe('planIssue: running again', () => {
  const story = makeArticle('story', { publishedAt: at('2026-11-20T09:00:00Z') });
  const record = newIssue(plan(plusHours(DUE_W48, 1), [story]));
  const done = complete(EMPTY_STATE, record, [story]);
  const arrived = makeArticle('arrived', { publishedAt: at('2026-11-22T09:00:00Z') }); // uploaded after the first run

  it('gives the recorded issue as done when run again in the same week after the state moved on', () => {
    expect(plan(at('2026-11-26T12:00:00Z'), [story, arrived], done, { recorded: record })).toEqual({
      kind: 'done',
      record,
    });
  });

  it('prepares nothing new in the same week without the record', () => {
    expect(plan(at('2026-11-26T12:00:00Z'), [story, arrived], done)).toEqual({ kind: 'not-due' });
  });

  it('prepares nothing for a week earlier than the last issue', () => {
    expect(plan(at('2026-11-17T12:00:00Z'), [story, arrived], done)).toEqual({ kind: 'not-due' });
  });

  it('prepares the same issue again after a crash, even though articles arrived since', () => {
    const again = plan(at('2026-11-23T10:00:00Z'), [story, arrived], EMPTY_STATE, { recorded: record });
    expect(again).toEqual({ kind: 'new', record, resumed: true });
    if (again.kind !== 'new') return;
    expect(again.record.articleIds).toEqual(['story']);
    // Without its record, the week would be planned afresh and take the new arrival too.
    expect(sorted(newIssue(plan(at('2026-11-23T10:00:00Z'), [story, arrived])).articleIds)).toEqual([
      'arrived',
      'story',
    ]);
  });

  it('after a resumed issue completes, the next week takes what arrived meanwhile', () => {
    const state = complete(EMPTY_STATE, record, [story, arrived]);
    expect(newIssue(plan(plusHours(at('2026-11-30T06:00:00Z'), 1), [story, arrived], state))).toMatchObject({
      id: '2026-W49',
      number: 2,
      articleIds: ['arrived'],
    });
  });
});

describe('advanceState', () => {
  const dueAt = DUE_W48;
  const record: IssueRecord = {
    id: '2026-W48',
    number: 5,
    dueAt,
    from: minusDays(dueAt, 14),
    since: DUE_W47,
    articleIds: ['new-1', 'new-2'],
  };
  const published = new Map([
    ['new-1', at('2026-11-20T09:00:00Z')],
    ['new-2', at('2026-11-22T09:00:00Z')],
    ['unrelated', at('2026-11-21T09:00:00Z')],
  ]);
  const summary = (id: string, number: number, shown = 2): IssueSummary => ({
    id,
    number,
    dueAt: dueInstant(id, SETTINGS),
    since: minusDays(dueInstant(id, SETTINGS), 7),
    shown,
    headlines: [`Headline of ${id}`],
  });

  it(`forgets ids published more than REMEMBER_DAYS (${REMEMBER_DAYS}) before the issue and keeps the rest`, () => {
    const state: DigestState = {
      last: { id: '2026-W47', number: 4, dueAt: DUE_W47 },
      issued: new Map([
        ['long-ago', new Date(minusDays(dueAt, REMEMBER_DAYS).getTime() - 1)],
        ['exactly', minusDays(dueAt, REMEMBER_DAYS)],
        ['recent', minusDays(dueAt, 10)],
      ]),
      issues: [],
    };
    const next = advanceState(state, record, published, summary('2026-W48', 5));
    expect(next.issued).toEqual(
      new Map([
        ['exactly', minusDays(dueAt, REMEMBER_DAYS)],
        ['recent', minusDays(dueAt, 10)],
        ['new-1', at('2026-11-20T09:00:00Z')],
        ['new-2', at('2026-11-22T09:00:00Z')],
      ]),
    );
    expect(next.last).toEqual({ id: '2026-W48', number: 5, dueAt });
    expect(state.issued.has('long-ago')).toBe(true); // the old state is left as it was
  });

  it('lists the issues sorted by week, whatever order they were completed in', () => {
    const state: DigestState = {
      ...EMPTY_STATE,
      issues: [summary('2026-W49', 6), summary('2026-W45', 2)],
    };
    const next = advanceState(state, record, published, summary('2026-W48', 5));
    expect(next.issues.map((i) => i.id)).toEqual(['2026-W45', '2026-W48', '2026-W49']);
  });

  it('sorts week 53 before week 1 of the next year', () => {
    const state: DigestState = { ...EMPTY_STATE, issues: [summary('2027-W01', 2), summary('2026-W52', 1)] };
    const late: IssueRecord = { ...record, id: '2026-W53', dueAt: dueInstant('2026-W53', SETTINGS) };
    const next = advanceState(state, late, published, summary('2026-W53', 3));
    expect(next.issues.map((i) => i.id)).toEqual(['2026-W52', '2026-W53', '2027-W01']);
  });

  it('replaces the summary of an issue listed before under the same id', () => {
    const state: DigestState = {
      ...EMPTY_STATE,
      issues: [summary('2026-W47', 4), summary('2026-W48', 5, 9)],
    };
    const replacement = summary('2026-W48', 5, 2);
    const next = advanceState(state, record, published, replacement);
    expect(next.issues).toEqual([summary('2026-W47', 4), replacement]);
  });
});
