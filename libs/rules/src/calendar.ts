/**
 * Nights and days in the patient's timezone, with no clock: every time is an argument.
 *
 * A night is named by the local date of its evening and runs from noon to noon local time, so a
 * ventilation session that starts at 01:00 belongs to the night named after the previous date.
 * Daily oximetry means use the same noon-to-noon days, so one night's recording falls in one day.
 */

import { therapyDayOf } from '#domain';
import { DateTime } from 'luxon';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const KEY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The instant in the zone (luxon: the runtime's IANA data); an unknown zone throws, as Intl does. */
function zoned(epochMs: number, timeZone: string): DateTime {
  const local = DateTime.fromMillis(epochMs, { zone: timeZone });
  if (!local.isValid) throw new RangeError(`Invalid time zone specified: ${timeZone}`);
  return local;
}

/** Offset of the timezone from UTC at that instant, in ms (positive east of Greenwich). */
export function tzOffsetMs(epochMs: number, timeZone: string): number {
  return zoned(epochMs, timeZone).offset * 60_000;
}

/** YYYY-MM-DD of the local date of an instant. */
export function localDateKey(epochMs: number, timeZone: string): string {
  return zoned(epochMs, timeZone).toISODate()!;
}

/**
 * The night (noon-to-noon local day) an instant belongs to: the therapy day of libs/domain, the
 * one definition (instant − 12 h would be wrong for the hour after noon on a DST change day).
 */
export function nightKeyOf(epochMs: number, timeZone: string): string {
  return therapyDayOf(epochMs, timeZone);
}

function parseKey(key: string): number {
  const m = KEY.exec(key);
  if (!m) throw new Error(`bad date key: ${key}`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
}

export function addDays(key: string, days: number): string {
  return new Date(parseKey(key) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Whole days from `from` to `to` (positive when `to` is later). */
export function daysBetween(from: string, to: string): number {
  return Math.round((parseKey(to) - parseKey(from)) / DAY_MS);
}

/** Epoch ms of a local wall-clock hour on a date in a timezone (DST-aware). */
export function zonedEpoch(key: string, hour: number, timeZone: string): number {
  const wall = parseKey(key) + hour * HOUR_MS;
  let guess = wall - tzOffsetMs(wall, timeZone);
  const second = wall - tzOffsetMs(guess, timeZone);
  if (second !== guess) guess = second;
  return guess;
}

/** Nominal start of a night: 20:00 local on its date. */
export function nightStart(key: string, timeZone: string): number {
  return zonedEpoch(key, 20, timeZone);
}

/** End of a night (and of a noon-to-noon day): noon local on the next date. */
export function nightEnd(key: string, timeZone: string): number {
  return zonedEpoch(addDays(key, 1), 12, timeZone);
}

/** The last night that is over at `now` (its noon boundary has passed). */
export function lastCompleteNight(now: number, timeZone: string): string {
  return addDays(nightKeyOf(now, timeZone), -1);
}
