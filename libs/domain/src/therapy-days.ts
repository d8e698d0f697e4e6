import { DateTime } from 'luxon';

/**
 * Therapy days and telemonitoring months in the patient's time zone (LATM, CONTRACT.md §6).
 * Pure: every instant is an argument; the zone arithmetic is luxon's (IANA data of the runtime),
 * never a hand-made offset.
 *
 * A therapy day runs from noon to noon local time, so one night belongs to one day; it is named
 * by the date of the noon it starts at (`YYYY-MM-DD`). On a DST change it lasts 23 or 25 hours.
 */

const DAY_KEY = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

export interface TimeWindow {
  /** Epoch ms, inclusive. */
  start: number;
  /** Epoch ms, exclusive. */
  end: number;
}

function localDate(day: string, timeZone: string): DateTime {
  if (!DAY_KEY.test(day)) throw new Error(`bad date: ${day}`);
  const d = DateTime.fromISO(day, { zone: timeZone });
  if (!d.isValid) throw new Error(`bad date or zone: ${day} ${timeZone}`);
  return d;
}

/** Whether `timeZone` is an IANA zone the runtime knows. */
export function isKnownTimeZone(timeZone: string): boolean {
  return DateTime.fromMillis(0, { zone: timeZone }).isValid;
}

/** The local calendar date of an instant (`YYYY-MM-DD`). */
export function localDateOf(epochMs: number, timeZone: string): string {
  const local = DateTime.fromMillis(epochMs, { zone: timeZone });
  if (!local.isValid) throw new Error(`unknown time zone: ${timeZone}`);
  return local.toISODate()!;
}

/** The therapy day an instant belongs to: the local date, minus one when before noon. */
export function therapyDayOf(epochMs: number, timeZone: string): string {
  const local = DateTime.fromMillis(epochMs, { zone: timeZone });
  if (!local.isValid) throw new Error(`unknown time zone: ${timeZone}`);
  return (local.hour < 12 ? local.minus({ days: 1 }) : local).toISODate()!;
}

/** [noon of `day`, noon of the next date) local time, as instants (23 or 25 h across DST). */
export function therapyDayWindow(day: string, timeZone: string): TimeWindow {
  const noon = localDate(day, timeZone).set({ hour: 12 });
  return { start: noon.toMillis(), end: noon.plus({ days: 1 }).toMillis() };
}

/** `YYYY-MM-DD` plus `days` calendar days. */
export function addCalendarDays(day: string, days: number): string {
  return DateTime.fromISO(day, { zone: 'UTC' }).plus({ days }).toISODate()!;
}

/** Calendar days from `from` to `to`, both included (0 when `to` is before `from`). */
export function daysInclusive(from: string, to: string): number {
  if (to < from) return 0;
  return Math.round(DateTime.fromISO(to, { zone: 'UTC' }).diff(DateTime.fromISO(from, { zone: 'UTC' }), 'days').days) + 1;
}

/** The `count` therapy days ending with the one in progress at `now`, newest first. */
export function recentTherapyDays(now: number, timeZone: string, count: number): string[] {
  const current = therapyDayOf(now, timeZone);
  return Array.from({ length: count }, (_, i) => addCalendarDays(current, -i));
}

export interface ComplianceMonth {
  /** 1 for the month that starts on the episode's start date. */
  month: number;
  /** First date of the month (patient's zone). */
  from: string;
  /** Last date of the month (the day before the next month's `from`). */
  to: string;
  /** The dates of [from, to] not after `lastDay` (today or the episode's end), oldest first. */
  countedDays: string[];
}

/**
 * The months of an episode, oldest first, up to the one holding `lastDay`. Month k+1 starts on the
 * same day of the month as the start date, k months later, clamped to the end of a shorter month
 * (started on 31 January: 28 February, then 31 March); each is counted from the start date, never
 * from the previous month's clamped date. Months after `lastDay` are not listed.
 */
export function episodeMonths(startDate: string, lastDay: string): ComplianceMonth[] {
  const start = DateTime.fromISO(startDate, { zone: 'UTC' });
  if (!start.isValid || !DAY_KEY.test(startDate)) throw new Error(`bad date: ${startDate}`);
  const months: ComplianceMonth[] = [];
  for (let k = 0; ; k++) {
    const from = start.plus({ months: k }).toISODate()!;
    if (from > lastDay) break;
    const to = addCalendarDays(start.plus({ months: k + 1 }).toISODate()!, -1);
    const last = to < lastDay ? to : lastDay;
    const countedDays = Array.from({ length: daysInclusive(from, last) }, (_, i) => addCalendarDays(from, i));
    months.push({ month: k + 1, from, to, countedDays });
  }
  return months;
}

/** The transmission check of one month: more than half of its counted days with data. */
export function complianceMet(daysWithData: number, days: number): { ratio: number; met: boolean } {
  const ratio = days === 0 ? 0 : daysWithData / days;
  // Integer comparison: exactly half is not met (no float rounding at 0.5).
  return { ratio, met: daysWithData * 2 > days };
}
