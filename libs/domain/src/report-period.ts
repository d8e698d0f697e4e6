import { DateTime } from 'luxon';
import { addCalendarDays, daysInclusive, type TimeWindow } from './therapy-days.js';

/**
 * Calendar months of the reports and the operator's activity (CONTRACT.md §6: `month=YYYY-MM`),
 * in the patient's time zone. Pure: instants are arguments; the zone arithmetic is luxon's.
 */

const MONTH_KEY = /^(\d{4})-(0[1-9]|1[0-2])$/;

export interface CalendarMonth {
  /** `YYYY-MM`. */
  month: string;
  /** First date (`YYYY-MM-01`). */
  from: string;
  /** Last date of the month. */
  to: string;
  /** [local midnight of the first day, local midnight of the next month's first day). */
  window: TimeWindow;
}

/** Whether `value` is a month `YYYY-MM` (01–12, years 2000–2999). */
export function isMonthKey(value: unknown): value is string {
  return typeof value === 'string' && MONTH_KEY.test(value) && value >= '2000-01' && value < '3000-01';
}

/** The calendar month `month` (`YYYY-MM`) in `timeZone`. */
export function calendarMonth(month: string, timeZone: string): CalendarMonth {
  if (!isMonthKey(month)) throw new Error(`bad month: ${month}`);
  const first = DateTime.fromISO(`${month}-01`, { zone: timeZone });
  if (!first.isValid) throw new Error(`bad month or zone: ${month} ${timeZone}`);
  const next = first.plus({ months: 1 });
  return { month, from: first.toISODate()!, to: next.minus({ days: 1 }).toISODate()!, window: { start: first.toMillis(), end: next.toMillis() } };
}

/** The month `YYYY-MM` of a date `YYYY-MM-DD`. */
export function monthOfDate(day: string): string {
  return day.slice(0, 7);
}

/** The months `YYYY-MM` from the one of `from` to the one of `to` (dates), oldest first. */
export function monthsBetween(from: string, to: string): string[] {
  const out: string[] = [];
  let d = DateTime.fromISO(`${monthOfDate(from)}-01`, { zone: 'UTC' });
  const last = monthOfDate(to);
  while (d.toFormat('yyyy-MM') <= last) {
    out.push(d.toFormat('yyyy-MM'));
    d = d.plus({ months: 1 });
  }
  return out;
}

/**
 * The dates of [from, to] that fall in [firstDay, lastDay] (an episode's start and its end or
 * today), oldest first: the days an episode was active in a period.
 */
export function activeDays(from: string, to: string, firstDay: string, lastDay: string): string[] {
  const start = from > firstDay ? from : firstDay;
  const end = to < lastDay ? to : lastDay;
  return Array.from({ length: daysInclusive(start, end) }, (_, i) => addCalendarDays(start, i));
}
