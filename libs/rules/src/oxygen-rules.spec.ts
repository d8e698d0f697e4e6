import { describe, expect, it } from '@jest/globals';
import { addDays, nightEnd, nightKeyOf, nightStart, zonedEpoch } from './calendar.js';
import { continuesNightEpisode, evaluateOxygenRules, type MissingNights, type OxygenSessionRecord } from './night-rules.js';
import { effectiveSettings, validateOverrides, type RuleOverrides } from './parameters.js';

const TZ = 'Europe/Paris';
const LAST = '2026-11-22';
const HOUR = 3_600_000;

/**
 * One concentrator session per therapy day, for consecutive days ending at LAST (from 14:00 local,
 * `hours` long, counted by the device); `null` = no session that day.
 */
function days(hours: (number | null)[], counted = true): OxygenSessionRecord[] {
  const out: OxygenSessionRecord[] = [];
  hours.forEach((h, i) => {
    if (h === null) return;
    const start = zonedEpoch(addDays(LAST, i - (hours.length - 1)), 14, TZ);
    out.push({ start, end: start + h * HOUR, o2UsageHours: counted ? h : null });
  });
  return out;
}

function evaluate(sessions: OxygenSessionRecord[], opts: { overrides?: RuleOverrides; missing?: MissingNights; day?: string } = {}) {
  return evaluateOxygenRules({
    sessions,
    firstSessionAt: Math.min(...sessions.map((s) => s.start)),
    night: opts.day ?? LAST,
    timeZone: TZ,
    settings: effectiveSettings('hypercapnic', opts.overrides),
    missingNights: opts.missing ?? 'zero',
  });
}

const outcome = (ds: ReturnType<typeof evaluate>) => ds.find((d) => d.rule === 'o2.adherence')?.kind ?? 'none';
const G = 16; // a good day: 16 h of oxygen

describe('o2.adherence: oxygen < 15 h/day on ≥ 3 of the last 7 therapy days (defaults)', () => {
  it.each([
    ['2 short days of 7', [G, 14, G, G, 10, G, G], 'clear', 'clear'],
    ['3 short days of 7', [G, 14, G, G, 10, G, 14.9], 'raise', 'raise'],
    ['exactly 15 h is not short', [15, 15, 15, G, G, G, G], 'clear', 'clear'],
    ['a short day 8 days ago no longer counts', [1, G, 1, 1, G, G, G, G], 'clear', 'clear'],
    // On arrival a missing day may still come (short), so neither raise nor clear; the nightly job counts it as 0 h.
    ['3 days without a session among 7', [G, G, null, G, null, G, null, G], 'raise', 'none'],
    ['2 missing days and a short one', [G, null, G, null, G, 3, G], 'raise', 'none'],
    ['1 missing day and a short one', [G, null, G, G, G, 3, G], 'clear', 'clear'],
  ] as [string, (number | null)[], string, string][])('%s: nightly %s, on arrival %s', (_name, hours, zero, unknown) => {
    expect(outcome(evaluate(days(hours), { missing: 'zero' }))).toBe(zero);
    expect(outcome(evaluate(days(hours), { missing: 'unknown' }))).toBe(unknown);
  });

  it('a raise is a warning dated from the first short day to the noon ending the day evaluated', () => {
    const [d] = evaluate(days([G, 14, G, G, 10, G, 14.9]));
    expect(d).toMatchObject({
      kind: 'raise',
      rule: 'o2.adherence',
      severity: 'warning',
      value: 3,
      threshold: 3,
      startedAt: nightStart(addDays(LAST, -5), TZ),
      at: nightEnd(LAST, TZ),
      message: 'Oxygen used less than 15 h on 3 of the last 7 days',
    });
  });

  it('several sessions of a day add up; without a device count, a session counts its true duration', () => {
    const hours = [G, 10, G, 10, G, 10, G];
    expect(outcome(evaluate(days(hours)))).toBe('raise');
    // 7 more hours from 02:00 to 09:00 on the 22nd: still the therapy day of the 21st (17 h, not short).
    const night = zonedEpoch(LAST, 2, TZ);
    expect(outcome(evaluate([...days(hours), { start: night, end: night + 7 * HOUR, o2UsageHours: 7 }]))).toBe('clear');
    // The same days with no o2UsageHours: each session's duration counts.
    expect(outcome(evaluate(days(hours, false)))).toBe('raise');
    expect(outcome(evaluate(days([G, 10, G, G, G, 10, G], false)))).toBe('clear');
  });

  it('therapy days are noon to noon in the patient zone, DST-safe: 12:30 CEST on 29 March 2026 starts the day of the 29th', () => {
    const t = Date.parse('2026-03-29T10:30:00Z'); // 12:30 CEST, the day the clocks went forward
    expect(nightKeyOf(t, TZ)).toBe('2026-03-29');
    expect(nightKeyOf(Date.parse('2026-10-25T10:30:00Z'), TZ)).toBe('2026-10-24'); // 11:30 CET, day of 25 h
  });

  it('the physician sets the prescribed hours, the count and the window', () => {
    const hours = [G, 14, G, G, 10, G, 14.9];
    expect(outcome(evaluate(days(hours), { overrides: { 'o2.adherence': { minUsageHours: 12 } } }))).toBe('clear');
    expect(outcome(evaluate(days(hours), { overrides: { 'o2.adherence': { minDays: 4 } } }))).toBe('clear');
    expect(outcome(evaluate(days(hours), { overrides: { 'o2.adherence': { windowDays: 3 } } }))).toBe('clear');
    expect(outcome(evaluate(days(hours), { overrides: { 'o2.adherence': { minUsageHours: 17, minDays: 7 } } }))).toBe('raise');
    expect(evaluate(days(hours), { overrides: { 'o2.adherence': { enabled: false } } })).toEqual([]);
  });

  it('raises nothing before the first session', () => {
    expect(evaluate(days([1, 1, 1]), { day: addDays(LAST, -3) })).toEqual([]);
  });

  it('a raise that slides one day on continues the open alert (no new occurrence)', () => {
    const sessions = days([G, 14, G, G, 10, G, 14.9, 3]);
    const first = evaluate(sessions, { day: addDays(LAST, -1) })[0]!;
    const next = evaluate(sessions, { day: LAST })[0]!;
    expect(first.kind).toBe('raise');
    expect(next.kind).toBe('raise');
    expect(continuesNightEpisode({ startedAt: first.startedAt, lastTriggeredAt: first.at }, next)).toBe(true);
  });
});

describe('o2.adherence settings validation', () => {
  it.each([
    [{ minUsageHours: 15, minDays: 3, windowDays: 7 }, true],
    [{ minUsageHours: 24 }, true],
    [{ minUsageHours: 0.5 }, false],
    [{ minUsageHours: 25 }, false],
    [{ minDays: 2.5 }, false],
    [{ minDays: 0 }, false],
    [{ windowDays: 15 }, false],
    [{ minDays: 5, windowDays: 4 }, false],
    [{ enabled: 'yes' }, false],
    [{ minNights: 3 }, false],
  ])('%j → valid %s', (params, ok) => {
    expect(validateOverrides('standard', { 'o2.adherence': params }).ok).toBe(ok);
  });
});
