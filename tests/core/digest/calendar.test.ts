import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  dueInstant,
  dueWeek,
  type IssueSchedule,
  isoWeekId,
  isValidTimeZone,
  parseWeekId,
  WEEKDAYS,
  weekBounds,
} from '../../../functions/core/digest/calendar.ts';

const at = (iso: string) => new Date(iso);
const HOUR_MS = 3_600_000;

describe('isoWeekId', () => {
  it.each([
    ['2026-12-31T12:00:00Z', '2026-W53'], // a Thursday: the week belongs to 2026
    ['2027-01-01T12:00:00Z', '2026-W53'], // its Friday, already in the new calendar year
    ['2027-01-03T12:00:00Z', '2026-W53'], // its Sunday
    ['2027-01-04T12:00:00Z', '2027-W01'], // the first Monday of 2027 starts week 1
    ['2020-12-31T12:00:00Z', '2020-W53'],
    ['2021-01-03T12:00:00Z', '2020-W53'],
    ['2025-12-29T12:00:00Z', '2026-W01'], // a Monday in December that is already in the next ISO year
    ['2026-11-24T12:00:00Z', '2026-W48'],
  ])('puts %s in %s', (instant, weekId) => {
    expect(isoWeekId(at(instant), 'UTC')).toBe(weekId);
  });

  it('zero-pads the week number', () => {
    expect(isoWeekId(at('2026-01-28T12:00:00Z'), 'UTC')).toBe('2026-W05');
  });

  it('reads the date in the zone: late Sunday in UTC is already Monday of the next week in Tokyo', () => {
    const sundayEvening = at('2026-11-29T22:00:00Z'); // Monday 30 November, 07:00 in Tokyo
    expect(isoWeekId(sundayEvening, 'UTC')).toBe('2026-W48');
    expect(isoWeekId(sundayEvening, 'Asia/Tokyo')).toBe('2026-W49');
  });

  it('reads the date in the zone: early Monday in UTC is still Sunday of the previous week in Los Angeles', () => {
    const mondayMorning = at('2026-11-30T03:00:00Z'); // Sunday 29 November, 19:00 in Los Angeles
    expect(isoWeekId(mondayMorning, 'UTC')).toBe('2026-W49');
    expect(isoWeekId(mondayMorning, 'America/Los_Angeles')).toBe('2026-W48');
  });
});

describe('dueWeek', () => {
  // Tuesday 24 November 2026, 07:00 in Berlin (CET, UTC+1) is 06:00 UTC.
  const schedule: IssueSchedule = { weekday: 'tuesday', hour: 7, timeZone: 'Europe/Berlin' };

  it('is undefined a moment before the hour on the configured weekday', () => {
    expect(dueWeek(at('2026-11-24T05:59:59.999Z'), schedule)).toBeUndefined();
  });

  it('is the current week exactly at the local hour', () => {
    expect(dueWeek(at('2026-11-24T06:00:00Z'), schedule)).toEqual({
      weekId: '2026-W48',
      dueAt: at('2026-11-24T06:00:00Z'),
    });
  });

  it('stays the current week for the rest of it, still due at the same instant', () => {
    expect(dueWeek(at('2026-11-29T22:59:59Z'), schedule)).toEqual({
      weekId: '2026-W48',
      dueAt: at('2026-11-24T06:00:00Z'),
    });
  });

  it('is undefined early in the next week, before that week falls due, rather than naming the last one', () => {
    expect(dueWeek(at('2026-11-30T08:00:00Z'), schedule)).toBeUndefined();
  });

  it('uses the weekday and week in the zone: Monday 00:00 in Tokyo is Sunday 15:00 UTC', () => {
    const tokyo: IssueSchedule = { weekday: 'monday', hour: 0, timeZone: 'Asia/Tokyo' };
    // Still Sunday night in Tokyo: the week due is the one that began last Monday.
    expect(dueWeek(at('2026-11-29T14:59:59Z'), tokyo)).toEqual({
      weekId: '2026-W48',
      dueAt: at('2026-11-22T15:00:00Z'),
    });
    expect(dueWeek(at('2026-11-29T15:00:00Z'), tokyo)).toEqual({
      weekId: '2026-W49',
      dueAt: at('2026-11-29T15:00:00Z'),
    });
  });
});

describe('dueInstant across clock changes', () => {
  const sunday = (hour: number, timeZone: string): IssueSchedule => ({ weekday: 'sunday', hour, timeZone });

  it('resolves 02:00 on the Berlin spring-forward Sunday, which does not exist, to 03:00 CEST', () => {
    // Sunday 29 March 2026: clocks jump from 02:00 CET to 03:00 CEST.
    expect(dueInstant('2026-W13', sunday(2, 'Europe/Berlin'))).toEqual(at('2026-03-29T01:00:00Z'));
    expect(dueInstant('2026-W13', sunday(3, 'Europe/Berlin'))).toEqual(at('2026-03-29T01:00:00Z'));
    expect(dueInstant('2026-W13', sunday(1, 'Europe/Berlin'))).toEqual(at('2026-03-29T00:00:00Z'));
  });

  it('resolves 02:00 on the Berlin fall-back Sunday, which happens twice, to the first time (CEST)', () => {
    // Sunday 25 October 2026: clocks go back from 03:00 CEST to 02:00 CET.
    expect(dueInstant('2026-W43', sunday(2, 'Europe/Berlin'))).toEqual(at('2026-10-25T00:00:00Z'));
    expect(dueInstant('2026-W43', sunday(3, 'Europe/Berlin'))).toEqual(at('2026-10-25T02:00:00Z'));
  });

  it('resolves 02:00 on the New York spring-forward Sunday to 03:00 EDT', () => {
    // Sunday 8 March 2026: clocks jump from 02:00 EST to 03:00 EDT.
    expect(dueInstant('2026-W10', sunday(2, 'America/New_York'))).toEqual(at('2026-03-08T07:00:00Z'));
  });

  it('resolves 01:00 on the New York fall-back Sunday to the first time (EDT)', () => {
    // Sunday 1 November 2026: clocks go back from 02:00 EDT to 01:00 EST, so 01:00 happens at 05:00 and 06:00 UTC.
    expect(dueInstant('2026-W44', sunday(1, 'America/New_York'))).toEqual(at('2026-11-01T05:00:00Z'));
  });

  it('resolves an hour in a half-hour gap to the end of the gap (Lord Howe Island: 02:00 -> 02:30)', () => {
    expect(dueInstant('2026-W40', sunday(2, 'Australia/Lord_Howe'))).toEqual(at('2026-10-03T15:30:00Z'));
  });

  it('resolves an hour on a skipped day to the first instant after it, not the same hour a day later', () => {
    // Samoa crossed the date line after Thursday 29 December 2011: Friday 30 December never happened there.
    const friday: IssueSchedule = { weekday: 'friday', hour: 9, timeZone: 'Pacific/Apia' };
    expect(dueInstant('2011-W52', friday)).toEqual(at('2011-12-30T10:00:00Z')); // Saturday 31 December, 00:00 local
  });

  it('rejects an hour outside 0..23', () => {
    expect(() => dueInstant('2026-W48', { weekday: 'monday', hour: 24, timeZone: 'UTC' })).toThrow(RangeError);
  });
});

describe('weekBounds', () => {
  it('gives Monday 00:00 to next Monday 00:00 local and the dates of Monday and Sunday', () => {
    expect(weekBounds('2026-W48', 'Europe/Berlin')).toEqual({
      start: at('2026-11-22T23:00:00Z'),
      end: at('2026-11-29T23:00:00Z'),
      firstDay: '2026-11-23',
      lastDay: '2026-11-29',
    });
  });

  it('spans the turn of the year for week 53', () => {
    expect(weekBounds('2026-W53', 'UTC')).toMatchObject({ firstDay: '2026-12-28', lastDay: '2027-01-03' });
  });

  it('lasts 167 hours in the week the clocks go forward', () => {
    const { start, end, firstDay, lastDay } = weekBounds('2026-W13', 'Europe/Berlin');
    expect([start, end]).toEqual([at('2026-03-22T23:00:00Z'), at('2026-03-29T22:00:00Z')]);
    expect((end.getTime() - start.getTime()) / HOUR_MS).toBe(167);
    expect([firstDay, lastDay]).toEqual(['2026-03-23', '2026-03-29']);
  });

  it('lasts 169 hours in the week the clocks go back', () => {
    const { start, end } = weekBounds('2026-W43', 'Europe/Berlin');
    expect((end.getTime() - start.getTime()) / HOUR_MS).toBe(169);
  });
});

describe('parseWeekId', () => {
  it('reads the year and week', () => {
    expect(parseWeekId('2026-W48')).toEqual({ year: 2026, week: 48 });
    expect(parseWeekId('2026-W05')).toEqual({ year: 2026, week: 5 });
  });

  it('accepts week 53 in a year that has one', () => {
    expect(parseWeekId('2026-W53')).toEqual({ year: 2026, week: 53 });
    expect(parseWeekId('2020-W53')).toEqual({ year: 2020, week: 53 });
  });

  it.each(['2026-W54', '2026-W00', '2025-W53', 'x', '', '2026-W5', '2026W48', '2026-w48', ' 2026-W48'])(
    'rejects %j',
    (weekId) => {
      expect(() => parseWeekId(weekId)).toThrow(RangeError);
    },
  );

  it('says why week 53 of a 52-week year is rejected', () => {
    expect(() => parseWeekId('2025-W53')).toThrow('2025 has weeks 01 to 52');
  });
});

describe('isValidTimeZone', () => {
  it.each([
    ['Europe/Berlin', true],
    ['America/New_York', true],
    ['UTC', true],
    ['Mars/Base', false],
    ['', false],
  ])('%j -> %s', (name, valid) => {
    expect(isValidTimeZone(name)).toBe(valid);
  });
});

describe('the due instant of a week lies in that week', () => {
  const zones = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'Australia/Lord_Howe', 'America/Santiago'];

  it('for random instants in 2000-2100, zones and schedules', () => {
    fc.assert(
      fc.property(
        fc.date({ min: at('2000-01-01T00:00:00Z'), max: at('2100-12-31T23:59:59Z'), noInvalidDate: true }),
        fc.constantFrom(...zones),
        fc.constantFrom(...WEEKDAYS),
        fc.integer({ min: 0, max: 23 }),
        (instant, timeZone, weekday, hour) => {
          const weekId = isoWeekId(instant, timeZone);
          const due = dueInstant(weekId, { weekday, hour, timeZone });
          expect(isoWeekId(due, timeZone)).toBe(weekId);
        },
      ),
    );
  });
});
