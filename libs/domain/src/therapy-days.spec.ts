import { describe, expect, it } from '@jest/globals';
import { complianceMet, daysInclusive, localDateOf, episodeMonths, isKnownTimeZone, recentTherapyDays, therapyDayOf, therapyDayWindow } from './therapy-days.js';

const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);

describe('therapy days (noon to noon, patient time zone)', () => {
  it.each([
    // Paris in winter is UTC+1: local noon is 11:00Z.
    ['2026-01-10T10:59:59.999Z', 'Europe/Paris', '2026-01-09'],
    ['2026-01-10T11:00:00.000Z', 'Europe/Paris', '2026-01-10'],
    ['2026-01-10T23:30:00.000Z', 'Europe/Paris', '2026-01-10'],
    ['2026-01-11T03:00:00.000Z', 'Europe/Paris', '2026-01-10'],
    // Summer: UTC+2, noon is 10:00Z.
    ['2026-07-01T09:59:00.000Z', 'Europe/Paris', '2026-06-30'],
    ['2026-07-01T10:00:00.000Z', 'Europe/Paris', '2026-07-01'],
    // New York (UTC−5 in January): noon is 17:00Z.
    ['2026-01-10T16:59:00.000Z', 'America/New_York', '2026-01-09'],
    ['2026-01-10T17:00:00.000Z', 'America/New_York', '2026-01-10'],
    // Auckland (UTC+13 in January, DST): noon is 23:00Z the day before.
    ['2026-01-09T22:59:00.000Z', 'Pacific/Auckland', '2026-01-09'],
    ['2026-01-09T23:00:00.000Z', 'Pacific/Auckland', '2026-01-10'],
  ])('%s in %s belongs to the day %s', (instant, zone, day) => {
    expect(therapyDayOf(at(instant), zone)).toBe(day);
  });

  it('a night belongs to one day: 22:00 and 06:00 local are the same therapy day', () => {
    expect(therapyDayOf(at('2026-11-20T21:00:00Z'), 'Europe/Paris')).toBe('2026-11-20');
    expect(therapyDayOf(at('2026-11-21T05:00:00Z'), 'Europe/Paris')).toBe('2026-11-20');
  });

  it('an ordinary day lasts 24 hours, from local noon', () => {
    const w = therapyDayWindow('2026-01-10', 'Europe/Paris');
    expect(new Date(w.start).toISOString()).toBe('2026-01-10T11:00:00.000Z');
    expect(w.end - w.start).toBe(24 * HOUR);
  });

  it('spring DST in Paris (29 March 2026): the day of 28 March lasts 23 hours', () => {
    const w = therapyDayWindow('2026-03-28', 'Europe/Paris');
    expect(new Date(w.start).toISOString()).toBe('2026-03-28T11:00:00.000Z');
    expect(new Date(w.end).toISOString()).toBe('2026-03-29T10:00:00.000Z');
    expect(w.end - w.start).toBe(23 * HOUR);
    expect(therapyDayOf(at('2026-03-29T09:59:00Z'), 'Europe/Paris')).toBe('2026-03-28');
    expect(therapyDayOf(at('2026-03-29T10:00:00Z'), 'Europe/Paris')).toBe('2026-03-29');
  });

  it('autumn DST in Paris (25 October 2026): the day of 24 October lasts 25 hours', () => {
    const w = therapyDayWindow('2026-10-24', 'Europe/Paris');
    expect(new Date(w.start).toISOString()).toBe('2026-10-24T10:00:00.000Z');
    expect(new Date(w.end).toISOString()).toBe('2026-10-25T11:00:00.000Z');
    expect(w.end - w.start).toBe(25 * HOUR);
  });

  it('another zone has its own DST dates (New York, 8 March 2026)', () => {
    const w = therapyDayWindow('2026-03-07', 'America/New_York');
    expect(w.end - w.start).toBe(23 * HOUR);
    expect(therapyDayWindow('2026-03-28', 'America/New_York').end - therapyDayWindow('2026-03-28', 'America/New_York').start).toBe(24 * HOUR);
  });

  it('the recent days, newest first, start with the day in progress', () => {
    // 09:00 local on 12 January: the day in progress is still the 11th.
    expect(recentTherapyDays(at('2026-01-12T08:00:00Z'), 'Europe/Paris', 3)).toEqual(['2026-01-11', '2026-01-10', '2026-01-09']);
    expect(recentTherapyDays(at('2026-03-01T12:00:00Z'), 'Europe/Paris', 2)).toEqual(['2026-03-01', '2026-02-28']);
  });

  it('the local calendar date is not the therapy day before noon', () => {
    expect(localDateOf(at('2026-01-12T08:00:00Z'), 'Europe/Paris')).toBe('2026-01-12');
    expect(localDateOf(at('2026-01-12T08:00:00Z'), 'America/New_York')).toBe('2026-01-12');
    expect(localDateOf(at('2026-01-12T04:00:00Z'), 'America/New_York')).toBe('2026-01-11');
  });

  it('rejects unknown zones and bad dates', () => {
    expect(isKnownTimeZone('Europe/Paris')).toBe(true);
    expect(isKnownTimeZone('Mars/Olympus')).toBe(false);
    expect(() => therapyDayOf(0, 'Mars/Olympus')).toThrow();
    expect(() => therapyDayWindow('2026-02-30x', 'Europe/Paris')).toThrow();
  });
});

describe('episode months (transmission compliance)', () => {
  it('month 1 runs from the start date, month 2 from the same day a month later', () => {
    const months = episodeMonths('2026-01-15', '2026-03-20');
    expect(months.map((m) => [m.month, m.from, m.to, m.countedDays.length])).toEqual([
      [1, '2026-01-15', '2026-02-14', 31],
      [2, '2026-02-15', '2026-03-14', 28],
      [3, '2026-03-15', '2026-04-14', 6],
    ]);
  });

  it('a start on the 31st clamps to the end of shorter months, always from the start date', () => {
    const months = episodeMonths('2026-01-31', '2026-05-01');
    expect(months.map((m) => [m.from, m.to])).toEqual([
      ['2026-01-31', '2026-02-27'],
      ['2026-02-28', '2026-03-30'],
      ['2026-03-31', '2026-04-29'],
      ['2026-04-30', '2026-05-30'],
    ]);
  });

  it('no month before the start; a month counts no day after the last day', () => {
    expect(episodeMonths('2026-02-01', '2026-01-31')).toEqual([]);
    const [m] = episodeMonths('2026-02-01', '2026-02-01');
    expect(m!.countedDays).toEqual(['2026-02-01']);
  });

  it.each([
    [15, 30, false],
    [16, 30, true],
    [0, 0, false],
    [1, 1, true],
    [1, 2, false],
  ])('%i days with data of %i: met = %s (exactly half is not met)', (withData, days, met) => {
    expect(complianceMet(withData, days).met).toBe(met);
  });

  it('counts days inclusively', () => {
    expect(daysInclusive('2026-02-01', '2026-02-28')).toBe(28);
    expect(daysInclusive('2026-02-02', '2026-02-01')).toBe(0);
  });
});
