// The digest's calendar: which ISO week an instant falls in, seen in the configured time zone, and when that week's issue is due.

/** Monday first, as ISO 8601 counts: the index is the day's offset from the start of the week. */
export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface IssueSchedule {
  weekday: Weekday;
  /** Local hour, 0..23. */
  hour: number;
  /** IANA name, e.g. 'Europe/Berlin'. */
  timeZone: string;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** ISO week id of an instant as seen in the zone: '2026-W48'. 1 January 2027 (in the zone) is '2026-W53'. */
export function isoWeekId(instant: Date, timeZone: string): string {
  const { year, month, day } = localParts(instant.getTime(), timeZone);
  const week = isoWeekOf(calendarDay(year, month, day));
  return `${pad(week.year, 4)}-W${pad(week.week, 2)}`;
}

/**
 * The instant when the issue of week `weekId` falls due: that week's `schedule.weekday` at `hour`:00 local time.
 * An hour skipped by a clock change resolves to the first instant after the gap; an hour lived twice, to its first pass.
 */
export function dueInstant(weekId: string, schedule: IssueSchedule): Date {
  if (!Number.isInteger(schedule.hour) || schedule.hour < 0 || schedule.hour > 23) {
    throw new RangeError(`Issue hour must be a whole number from 0 to 23, got ${schedule.hour}`);
  }
  const day = mondayOf(parseWeekId(weekId)) + WEEKDAYS.indexOf(schedule.weekday) * DAY_MS;
  return new Date(instantOfWallTime(day + schedule.hour * HOUR_MS, schedule.timeZone));
}

/** The week whose issue is due at `now`: the current week (in the zone) if its due instant has passed (<= now), else undefined. */
export function dueWeek(now: Date, schedule: IssueSchedule): { weekId: string; dueAt: Date } | undefined {
  const weekId = isoWeekId(now, schedule.timeZone);
  const dueAt = dueInstant(weekId, schedule);
  return dueAt.getTime() <= now.getTime() ? { weekId, dueAt } : undefined;
}

/**
 * The Monday 00:00 local start and next Monday 00:00 local end of a week, as instants (so a week with a clock change
 * lasts 167 or 169 hours); and the local calendar dates (YYYY-MM-DD) of its Monday and Sunday.
 */
export function weekBounds(
  weekId: string,
  timeZone: string,
): { start: Date; end: Date; firstDay: string; lastDay: string } {
  const monday = mondayOf(parseWeekId(weekId));
  return {
    start: new Date(instantOfWallTime(monday, timeZone)),
    end: new Date(instantOfWallTime(monday + 7 * DAY_MS, timeZone)),
    firstDay: isoDate(monday),
    lastDay: isoDate(monday + 6 * DAY_MS),
  };
}

/** Whether a string names a time zone Intl knows (for config validation): 'Europe/Berlin' yes, 'Mars/Base' and '' no. */
export function isValidTimeZone(name: string): boolean {
  try {
    formatterFor(name);
    return true;
  } catch {
    return false;
  }
}

/** Parses '2026-W48' -> { year: 2026, week: 48 }; throws on a malformed id or on week 53 of a year that has only 52 weeks. */
export function parseWeekId(weekId: string): { year: number; week: number } {
  const match = /^(\d{4})-W(\d{2})$/.exec(weekId);
  if (!match) throw new RangeError(`Malformed ISO week id ${JSON.stringify(weekId)}: expected the form 2026-W05`);
  const year = Number(match[1]);
  const week = Number(match[2]);
  const weeks = weeksInYear(year);
  if (week < 1 || week > weeks) {
    throw new RangeError(`No ISO week ${JSON.stringify(weekId)}: ${year} has weeks 01 to ${weeks}`);
  }
  return { year, week };
}

// Calendar arithmetic works on "calendar days": a local date (and wall time) written as if it were UTC milliseconds.
// That makes day steps exact 24-hour steps, whatever the zone's clock does.

function calendarDay(year: number, month: number, day: number): number {
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0..99 as 1900..1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getTime();
}

/** Monday = 1 .. Sunday = 7, as ISO 8601 counts. */
function isoDayOfWeek(calendarDayMs: number): number {
  return ((new Date(calendarDayMs).getUTCDay() + 6) % 7) + 1;
}

/** A week belongs to the ISO year that holds its Thursday, which is why 1 January can sit in the previous year's week. */
function isoWeekOf(calendarDayMs: number): { year: number; week: number } {
  const thursday = calendarDayMs + (4 - isoDayOfWeek(calendarDayMs)) * DAY_MS;
  const year = new Date(thursday).getUTCFullYear();
  return { year, week: Math.floor((thursday - calendarDay(year, 1, 1)) / (7 * DAY_MS)) + 1 };
}

/** 28 December is always in the last ISO week of its year. */
function weeksInYear(year: number): number {
  return isoWeekOf(calendarDay(year, 12, 28)).week;
}

/** 4 January is always in week 1, so week 1 starts on the Monday on or before it. */
function mondayOf({ year, week }: { year: number; week: number }): number {
  const january4 = calendarDay(year, 1, 4);
  return january4 - (isoDayOfWeek(january4) - 1) * DAY_MS + (week - 1) * 7 * DAY_MS;
}

function isoDate(calendarDayMs: number): string {
  const date = new Date(calendarDayMs);
  return `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}`;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

// Zone arithmetic: Intl is the only source of offsets, so the rules are whatever tz data the runtime ships.

// Building a DateTimeFormat costs far more than using one, and the same few zones are asked about again and again.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      calendar: 'gregory',
      numberingSystem: 'latn',
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

function localParts(instantMs: number, timeZone: string) {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(instantMs)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 0,
    day: parts.day ?? 0,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

/** The zone's offset from UTC at an instant, in milliseconds (east positive). */
function offsetAt(instantMs: number, timeZone: string): number {
  const p = localParts(instantMs, timeZone);
  const wall = calendarDay(p.year, p.month, p.day) + ((p.hour * 60 + p.minute) * 60 + p.second) * 1000;
  // The formatter drops milliseconds, so compare against the instant's whole second.
  return wall - (instantMs - (((instantMs % 1000) + 1000) % 1000));
}

/**
 * The instant at which the zone's clocks show `wall` (a calendar-day value). Every real instant for that wall time is
 * `wall - offset` for an offset in force around it, so the offsets a day either side give all the candidates.
 * Two that both show `wall` mean the clocks went back: take the earlier. None means the clocks jumped over it: take
 * the first instant after the jump, found by bisection because the jump need not start on the hour (Samoa skipped
 * all of 30 December 2011).
 */
function instantOfWallTime(wall: number, timeZone: string): number {
  const before = offsetAt(wall - DAY_MS, timeZone);
  const after = offsetAt(wall + DAY_MS, timeZone);
  const candidates = [wall - before, wall - after].filter((t) => offsetAt(t, timeZone) === wall - t);
  if (candidates.length > 0) return Math.min(...candidates);

  // In the gap: the offset is still `before` at `wall - after` and already `after` at `wall - before`.
  let lo = wall - after;
  let hi = wall - before;
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (offsetAt(mid, timeZone) === before) lo = mid;
    else hi = mid;
  }
  return hi;
}
