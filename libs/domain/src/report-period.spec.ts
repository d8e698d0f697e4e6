import { describe, expect, it } from '@jest/globals';
import { activeDays, calendarMonth, isMonthKey, monthsBetween } from './report-period.js';

describe('report months (calendar months of the patient time zone)', () => {
  it.each([
    ['2026-11', true],
    ['2026-01', true],
    ['2026-13', false],
    ['2026-00', false],
    ['2026-1', false],
    ['2026-11-01', false],
    [' 2026-11', false],
    ['1999-12', false],
    ['nov 2026', false],
    [202611, false],
    [undefined, false],
  ])('%p is a month key: %p', (value, ok) => {
    expect(isMonthKey(value)).toBe(ok);
  });

  it.each([
    // Paris in November is UTC+1: the month starts at 23:00Z the day before.
    ['2026-11', 'Europe/Paris', '2026-11-01', '2026-11-30', '2026-10-31T23:00:00.000Z', '2026-11-30T23:00:00.000Z'],
    // March 2026 in Paris holds the spring DST change: it starts at UTC+1 and ends at UTC+2.
    ['2026-03', 'Europe/Paris', '2026-03-01', '2026-03-31', '2026-02-28T23:00:00.000Z', '2026-03-31T22:00:00.000Z'],
    ['2028-02', 'America/New_York', '2028-02-01', '2028-02-29', '2028-02-01T05:00:00.000Z', '2028-03-01T05:00:00.000Z'],
    ['2026-12', 'Pacific/Auckland', '2026-12-01', '2026-12-31', '2026-11-30T11:00:00.000Z', '2026-12-31T11:00:00.000Z'],
  ])('%s in %s: %s to %s, [%s, %s)', (month, zone, from, to, start, end) => {
    const m = calendarMonth(month, zone);
    expect([m.from, m.to, new Date(m.window.start).toISOString(), new Date(m.window.end).toISOString()]).toEqual([from, to, start, end]);
  });

  it('refuses a bad month or zone', () => {
    expect(() => calendarMonth('2026-13', 'Europe/Paris')).toThrow();
    expect(() => calendarMonth('2026-11', 'Mars/Olympus')).toThrow();
  });

  it('lists the months between two dates, across a year', () => {
    expect(monthsBetween('2026-11-15', '2027-02-01')).toEqual(['2026-11', '2026-12', '2027-01', '2027-02']);
    expect(monthsBetween('2026-11-15', '2026-11-20')).toEqual(['2026-11']);
  });

  it.each([
    ['whole month', '2026-11-01', '2026-11-30', '2026-01-01', '2027-01-01', 30, '2026-11-01', '2026-11-30'],
    ['started mid-month', '2026-11-01', '2026-11-30', '2026-11-20', '2027-01-01', 11, '2026-11-20', '2026-11-30'],
    ['ended mid-month', '2026-11-01', '2026-11-30', '2026-01-01', '2026-11-05', 5, '2026-11-01', '2026-11-05'],
    ['outside', '2026-11-01', '2026-11-30', '2026-12-01', '2027-01-01', 0, undefined, undefined],
  ])('active days (%s)', (_case, from, to, first, last, n, oldest, newest) => {
    const days = activeDays(from, to, first, last);
    expect([days.length, days[0], days.at(-1)]).toEqual([n, oldest, newest]);
  });
});
