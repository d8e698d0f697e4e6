import { describe, expect, it } from '@jest/globals';
import { addDays, nightEnd, nightStart, zonedEpoch } from './calendar.js';
import { continuesNightEpisode, evaluateNightRules, lastSettledNight, SETTLE_HOURS, summarizeNights, type MissingNights, type SessionRecord } from './night-rules.js';
import { effectiveSettings, type NightRuleId, type RuleOverrides } from './parameters.js';

const TZ = 'Europe/Paris';
const LAST = '2026-11-22';

interface NightSpec {
  usage?: number;
  leak?: number | null;
  ahi?: number | null;
  rr?: number | null;
}

/**
 * Sessions for consecutive nights ending at LAST; `null` = no session that night.
 * Defaults: 7 h usage, leak 10, AHI 3, RR 16.
 */
function nights(specs: (NightSpec | null)[]): SessionRecord[] {
  const out: SessionRecord[] = [];
  specs.forEach((spec, i) => {
    if (spec === null) return;
    const night = addDays(LAST, i - (specs.length - 1));
    const start = zonedEpoch(night, 22, TZ);
    const usage = spec.usage ?? 7;
    out.push({
      start,
      end: start + usage * 3_600_000,
      usageHours: usage,
      leakP95: spec.leak === undefined ? 10 : spec.leak,
      ahi: spec.ahi === undefined ? 3 : spec.ahi,
      respRateMedian: spec.rr === undefined ? 16 : spec.rr,
    });
  });
  return out;
}

function evaluate(specs: (NightSpec | null)[], opts: { overrides?: RuleOverrides; night?: string; firstSessionAt?: number; missing?: MissingNights } = {}) {
  const sessions = nights(specs);
  return evaluateNightRules({
    sessions,
    firstSessionAt: opts.firstSessionAt ?? Math.min(...sessions.map((s) => s.start)),
    night: opts.night ?? LAST,
    timeZone: TZ,
    settings: effectiveSettings('hypercapnic', opts.overrides),
    missingNights: opts.missing ?? 'zero',
  });
}

const outcome = (ds: ReturnType<typeof evaluate>, rule: NightRuleId) => ds.find((d) => d.rule === rule)?.kind ?? 'none';
const good: NightSpec = {};
type Outcome = 'raise' | 'clear' | 'none';
/** Table rows: name, nights, expected with missing nights as 0 h ('zero'), expected with them unknown. */
type Row = [string, (NightSpec | null)[], Outcome, Outcome];
const bothModes = (rows: Row[]) => rows.flatMap(([name, specs, zero, unknown]) => [
  [name, 'zero', specs, zero] as const,
  [name, 'unknown', specs, unknown] as const,
]);

describe('niv.adherence: usage < 4 h on ≥ 3 of the last 7 nights', () => {
  it.each(
    bothModes([
      ['2 short nights of 7', [good, { usage: 3.9 }, good, good, { usage: 2 }, good, good], 'clear', 'clear'],
      ['3 short nights of 7', [good, { usage: 3.9 }, good, good, { usage: 2 }, good, { usage: 1 }], 'raise', 'raise'],
      ['exactly 4 h is not short', [{ usage: 4 }, { usage: 4 }, { usage: 4 }, good, good, good, good], 'clear', 'clear'],
      ['a short night 8 nights ago no longer counts', [{ usage: 1 }, good, { usage: 1 }, { usage: 1 }, good, good, good, good], 'clear', 'clear'],
      // unknown: 3 nights that may still arrive short, so neither raise nor clear
      ['3 missing nights among 7', [good, good, null, good, null, good, null, good], 'raise', 'none'],
      ['2 missing nights and a short one', [good, null, good, null, good, { usage: 3 }, good], 'raise', 'none'],
      ['3 short nights between missing ones', [{ usage: 1 }, null, { usage: 1 }, null, { usage: 1 }, good, good], 'raise', 'raise'],
      // unknown: even if both missing nights were short, 2 < 3: the condition is proven gone
      ['5 good nights and 2 missing', [good, null, good, good, null, good, good], 'clear', 'clear'],
      ['1 short, 1 missing, 5 good', [{ usage: 2 }, null, good, good, good, good, good], 'clear', 'clear'],
    ]),
  )('%s (missing nights %s)', (_name, missing, specs, expected) => {
    expect(outcome(evaluate([...specs], { missing }), 'niv.adherence')).toBe(expected);
  });

  it('nights before the first session do not count as missing (zero); unknown, they may be in flight', () => {
    expect(outcome(evaluate([good, good]), 'niv.adherence')).toBe('clear');
    expect(outcome(evaluate([good, good], { missing: 'unknown' }), 'niv.adherence')).toBe('none');
    expect(outcome(evaluate([good, good, good, good, good], { missing: 'unknown' }), 'niv.adherence')).toBe('clear');
  });

  it('gives the count and the first short night', () => {
    const d = evaluate([good, { usage: 1 }, good, { usage: 2 }, null, good, good]).find((x) => x.rule === 'niv.adherence')!;
    expect(d).toMatchObject({ kind: 'raise', value: 3, threshold: 3, severity: 'warning' });
    expect(d.startedAt).toBe(nightStart(addDays(LAST, -5), TZ));
    expect(d.at).toBe(nightEnd(LAST, TZ));
  });

  it('evaluating a later night with no session counts it as 0 h (the scheduler case), unknown on arrival', () => {
    const ds = evaluate([good, { usage: 2 }, { usage: 2 }], { night: addDays(LAST, 1) });
    expect(outcome(ds, 'niv.adherence')).toBe('raise');
    expect(outcome(evaluate([good, { usage: 2 }, { usage: 2 }], { night: addDays(LAST, 1), missing: 'unknown' }), 'niv.adherence')).toBe('none');
  });
});

describe('niv.usage_variability: SD of usage over 10 nights > 1.08 h (Blouet 2018)', () => {
  const alternating = (a: number, b: number) => Array.from({ length: 10 }, (_, i) => ({ usage: i % 2 ? a : b }));
  it.each(
    bothModes([
      ['steady 7 h', Array.from({ length: 10 }, () => good), 'clear', 'clear'],
      ['alternating 6 / 8 h (SD 1.05)', alternating(6, 8), 'clear', 'clear'],
      ['alternating 5.8 / 8.2 h (SD 1.26)', alternating(5.8, 8.2), 'raise', 'raise'],
      ['only 9 nights since the first session', Array.from({ length: 9 }, () => good), 'none', 'none'],
      // unknown: 9 values for a 10-night window, not enough (neither raise nor clear)
      ['one missing night among 10', [good, good, good, good, null, good, good, good, good, good], 'raise', 'none'],
      ['one missing night among irregular ones', [...alternating(5.8, 8.2).slice(0, 9), null], 'raise', 'none'],
      ['a missing night 11 nights ago', [null, ...alternating(6, 8)], 'clear', 'clear'],
    ]),
  )('%s (missing nights %s)', (_name, missing, specs, expected) => {
    expect(outcome(evaluate([...specs], { missing }), 'niv.usage_variability')).toBe(expected);
  });

  // The raw SD is compared, not the SD rounded to 0.01 (1.0806 h is above 1.08 h).
  const sdOne = [8.5, 5.5, 8.5, 5.5, 7, 7, 7, 7, 7, 7].map((usage) => ({ usage })); // SD exactly 1
  it.each([
    ['SD 1.0806 (1.08 to two decimals) > 1.08: raise', alternating(6, 8.0502), undefined, 'raise'],
    ['SD 1.0799 (1.08 to two decimals) ≤ 1.08: clear', alternating(6, 8.049), undefined, 'clear'],
    ['SD exactly 1 with a limit of 1 (strict): clear', sdOne, 1, 'clear'],
    ['SD exactly 1 with a limit of 0.999: raise', sdOne, 0.999, 'raise'],
  ] as const)('exact boundary: %s', (_name, specs, maxSdHours, expected) => {
    const overrides: RuleOverrides = maxSdHours === undefined ? {} : { 'niv.usage_variability': { maxSdHours } };
    for (const missing of ['zero', 'unknown'] as const) {
      expect(outcome(evaluate([...specs], { overrides, missing }), 'niv.usage_variability')).toBe(expected);
    }
  });

  it('reports the SD (rounded for display only)', () => {
    const d = evaluate(alternating(5.8, 8.2)).find((x) => x.rule === 'niv.usage_variability')!;
    expect(d.value).toBeCloseTo(1.26, 2);
    expect(d.threshold).toBe(1.08);
    const close = evaluate(alternating(6, 8.0502)).find((x) => x.rule === 'niv.usage_variability')!;
    expect(close).toMatchObject({ kind: 'raise', value: 1.081 });
    expect(close.message).toContain('1.081 h');
    expect(close.message).toContain('limit 1.08 h');
  });
});

describe.each([
  ['niv.leak', 'leak', 24] as const,
  ['niv.ahi', 'ahi', 10] as const,
])('%s: > threshold on ≥ 3 consecutive nights', (rule, field, thr) => {
  const hi = { [field]: thr + 1 };
  const at = { [field]: thr };
  it.each(
    bothModes([
      ['3 consecutive nights above', [good, hi, hi, hi], 'raise', 'raise'],
      ['2 consecutive nights above', [hi, good, hi, hi], 'clear', 'clear'],
      ['3 nights at the threshold', [at, at, at], 'clear', 'clear'],
      // unknown: the missing night may be above, so the streak may be 4 long
      ['a missing night breaks the streak', [hi, hi, null, hi], 'clear', 'none'],
      ['a missing night then 2 above', [hi, null, hi, hi], 'clear', 'none'],
      ['a good last night after a missing one', [hi, hi, null, good], 'clear', 'clear'],
      ['3 above after a missing night', [null, hi, hi, hi], 'raise', 'raise'],
      ['a night without the value breaks the streak', [hi, { [field]: null }, hi, hi], 'clear', 'clear'],
      ['5 consecutive nights', [hi, hi, hi, hi, hi], 'raise', 'raise'],
      // unknown: nights before the first stored session may still be in flight
      ['2 nights above since the first session', [hi, hi], 'clear', 'none'],
    ]),
  )('%s (missing nights %s)', (_name, missing, specs, expected) => {
    expect(outcome(evaluate([...specs], { missing }), rule)).toBe(expected);
  });

  it('keeps the start of the streak as the episode start while it grows', () => {
    const three = evaluate([good, hi, hi, hi]).find((d) => d.rule === rule)!;
    const four = evaluate([good, hi, hi, hi, hi], { night: addDays(LAST, 0) }).find((d) => d.rule === rule)!;
    expect(three.startedAt).toBe(nightStart(addDays(LAST, -2), TZ));
    expect(four.startedAt).toBe(nightStart(addDays(LAST, -3), TZ));
    expect(three.value).toBe(thr + 1);
  });
});

describe('resp_rate.trend: each of 2 consecutive nights outside the IQR of its own 4 preceding nights, same side (Blouet 2018)', () => {
  const ref = [{ rr: 15 }, { rr: 16 }, { rr: 17 }, { rr: 18 }]; // Q1 15.75, Q3 17.25
  it.each(
    bothModes([
      // N-1 = 19 vs 15..18 (Q3 17.25); N = 20 vs 16..19 (Q3 18.25)
      ['two nights above', [...ref, { rr: 19 }, { rr: 20 }], 'raise', 'raise'],
      // N-1 = 14 vs 15..18 (Q1 15.75); N = 13 vs 16, 17, 18, 14 (Q1 15.5)
      ['two nights below', [...ref, { rr: 14 }, { rr: 13 }], 'raise', 'raise'],
      // N = 15.5 is on the Q1 of its own reference (16, 17, 18, 14): inside
      ['the second night on the Q1 of its own reference', [...ref, { rr: 14 }, { rr: 15.5 }], 'clear', 'clear'],
      // N = 18 vs 16..19 (Q3 18.25): inside, although above the Q3 of N-1's reference
      ['the second night inside its own reference', [...ref, { rr: 19 }, { rr: 18 }], 'clear', 'clear'],
      // N = 19.5 vs 15, 16, 17, 25 (Q3 19): above, although inside N-1's reference (Q3 20.25)
      ['the second night above its own reference only', [{ rr: 30 }, { rr: 15 }, { rr: 16 }, { rr: 17 }, { rr: 25 }, { rr: 19.5 }], 'raise', 'raise'],
      // above, then below (N = 14 vs 16, 17, 18, 20: Q1 16.75): opposite sides
      ['above then below', [...ref, { rr: 20 }, { rr: 14 }], 'clear', 'clear'],
      ['below then above', [...ref, { rr: 14 }, { rr: 20 }], 'clear', 'clear'],
      ['only the last night above', [...ref, { rr: 17 }, { rr: 20 }], 'clear', 'clear'],
      ['on Q3 exactly is inside', [...ref, { rr: 17.25 }, { rr: 20 }], 'clear', 'clear'],
      ['just above Q3 on both nights', [...ref, { rr: 17.26 }, { rr: 17.9 }], 'raise', 'raise'],
      ['only 3 reference nights for the first night', [...ref.slice(1), { rr: 19 }, { rr: 20 }], 'none', 'none'],
      ['last night without RR', [...ref, { rr: 19 }, { rr: null }], 'none', 'none'],
      ['last night missing', [...ref, { rr: 19 }, null], 'none', 'none'],
      ['reference skips a night without RR', [{ rr: 15 }, { rr: null }, ...ref.slice(1), { rr: 19 }, { rr: 20 }], 'raise', 'raise'],
      // unknown: the missing night could change the reference
      ['reference across a missing night', [{ rr: 15 }, null, ...ref.slice(1), { rr: 19 }, { rr: 20 }], 'raise', 'none'],
      ['reference complete before a missing night', [null, ...ref, { rr: 19 }, { rr: 20 }], 'raise', 'raise'],
    ]),
  )('%s (missing nights %s)', (_name, missing, specs, expected) => {
    expect(outcome(evaluate([...specs], { missing }), 'resp_rate.trend')).toBe(expected);
  });

  it.each([
    ['above: the Q3 of the last night\'s own reference', [...ref, { rr: 19 }, { rr: 20 }], { value: 20, threshold: 18.25 }, 'above'],
    ['below: its Q1', [...ref, { rr: 14 }, { rr: 13 }], { value: 13, threshold: 15.5 }, 'below'],
  ] as const)('gives the latest RR and the quartile it crossed, %s', (_name, specs, fields, side) => {
    const d = evaluate([...specs]).find((x) => x.rule === 'resp_rate.trend')!;
    expect(d).toMatchObject({ kind: 'raise', ...fields, startedAt: nightStart(addDays(LAST, -1), TZ) });
    expect(d.message).toContain(`${side} the interquartile range`);
  });

  it('with consecutiveNights 3, all three on the same side', () => {
    const overrides: RuleOverrides = { 'resp_rate.trend': { consecutiveNights: 3 } };
    expect(outcome(evaluate([...ref, { rr: 19 }, { rr: 20 }, { rr: 21 }], { overrides }), 'resp_rate.trend')).toBe('raise');
    expect(outcome(evaluate([...ref, { rr: 19 }, { rr: 20 }, { rr: 14 }], { overrides }), 'resp_rate.trend')).toBe('clear');
  });
});

describe('continuesNightEpisode: a raise of a night rule on its open alert', () => {
  const night = (key: string) => nightStart(key, TZ);
  const end = (key: string) => nightEnd(key, TZ);
  // The open alert: evidence from night L-3 to night L (last trigger at the noon ending L).
  const alert = { startedAt: night(addDays(LAST, -3)), lastTriggeredAt: end(LAST) };
  it.each([
    ['the same night dated from an earlier night (nightly job: missing nights are 0 h)', 'niv.adherence', -6, 0, true],
    ['the same night dated from a later night (arrival: missing nights unknown)', 'niv.adherence', -1, 0, true],
    ['the next night, the window slid', 'niv.usage_variability', -2, 1, true],
    ['the next night, evidence starting on it', 'niv.leak', 1, 1, true],
    ['evidence starting 2 nights after the last trigger', 'niv.ahi', 2, 3, false],
    ['an older night whose evidence ends the night before the alert starts', 'niv.adherence', -9, -4, true],
    ['an older episode ending 2 nights before the alert starts (backlog)', 'niv.adherence', -9, -5, false],
    ['an older night within the alert', 'resp_rate.trend', -2, -1, true],
    ['a point rule: never', 'spo2.low', -1, 0, false],
    ['oximetry.baseline: never', 'oximetry.baseline', -1, 0, false],
  ] as const)('%s', (_name, rule, firstNight, evaluatedNight, expected) => {
    const d = { rule, startedAt: night(addDays(LAST, firstNight)), at: end(addDays(LAST, evaluatedNight)) };
    expect(continuesNightEpisode(alert, d)).toBe(expected);
  });
});

describe('settled nights (the nightly job counts a missing night as 0 h only once settled)', () => {
  it.each([
    ['just after the night ends (noon)', 0, addDays(LAST, -1)],
    ['11 h 59 after', SETTLE_HOURS * 60 - 1, addDays(LAST, -1)],
    ['SETTLE_HOURS after', SETTLE_HOURS * 60, LAST],
    ['a day after', 24 * 60 - 1, LAST],
  ] as const)('%s', (_name, minutesAfterEnd, expected) => {
    expect(lastSettledNight(nightEnd(LAST, TZ) + minutesAfterEnd * 60_000, TZ)).toBe(expected);
  });
});

describe('sessions and nights', () => {
  it('merges several sessions of one night (usage adds up, worst leak, weighted AHI)', () => {
    const start = zonedEpoch(LAST, 22, TZ);
    const m = summarizeNights(
      [
        { start, end: start + 3 * 3_600_000, usageHours: 3, leakP95: 30, ahi: 2, respRateMedian: 14 },
        { start: start + 4 * 3_600_000, end: start + 9 * 3_600_000, usageHours: 5, leakP95: 12, ahi: 6, respRateMedian: 18 },
      ],
      TZ,
    ).get(LAST)!;
    expect(m).toMatchObject({ usageHours: 8, leakP95: 30, ahi: 4.5 });
    expect(m.respRateMedian).toBeCloseTo(16.5, 9);
  });

  it('assigns a session starting after midnight to the previous evening', () => {
    const start = zonedEpoch(addDays(LAST, 1), 1, TZ);
    expect([...summarizeNights([{ start, end: start + 3_600_000, usageHours: 1, leakP95: null, ahi: null, respRateMedian: null }], TZ).keys()]).toEqual([LAST]);
  });

  it('says nothing about nights before the first session', () => {
    expect(evaluate([good], { night: addDays(LAST, -3) })).toEqual([]);
  });

  it('a disabled rule gives no decision', () => {
    expect(outcome(evaluate([{ usage: 1 }, { usage: 1 }, { usage: 1 }], { overrides: { 'niv.adherence': { enabled: false } } }), 'niv.adherence')).toBe('none');
  });
});
