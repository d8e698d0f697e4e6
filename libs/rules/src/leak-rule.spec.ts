import { describe, expect, it } from '@jest/globals';
import { addDays, zonedEpoch } from './calendar.js';
import { evaluateNightRules, type LeakFromSamples, type MissingNights, type SessionRecord } from './night-rules.js';
import { effectiveSettings, validateOverrides, type RuleOverrides } from './parameters.js';

const TZ = 'Europe/Paris';
const LAST = '2026-11-22';

interface Night {
  p95?: number | null;
  median?: number | null;
  mean?: number | null;
}

/** One 8 h session per night ending at LAST (null: no session that night). */
function sessions(specs: (Night | null)[]): SessionRecord[] {
  const out: SessionRecord[] = [];
  specs.forEach((n, i) => {
    if (n === null) return;
    const start = zonedEpoch(addDays(LAST, i - (specs.length - 1)), 22, TZ);
    out.push({ start, end: start + 8 * 3_600_000, usageHours: 8, leakP95: n.p95 ?? 10, leakMedian: n.median ?? null, leakMean: n.mean ?? null, ahi: 3, respRateMedian: 16 });
  });
  return out;
}

function leak(specs: (Night | null)[], overrides: RuleOverrides, opts: { fromSamples?: Map<string, LeakFromSamples>; missing?: MissingNights } = {}) {
  const list = sessions(specs);
  return evaluateNightRules({
    sessions: list,
    firstSessionAt: Math.min(...list.map((s) => s.start)),
    night: LAST,
    timeZone: TZ,
    settings: effectiveSettings('hypercapnic', overrides),
    missingNights: opts.missing ?? 'zero',
    leakFromSamples: opts.fromSamples,
  }).find((d) => d.rule === 'niv.leak');
}

const MEDIAN = { 'niv.leak': { statistic: 'median' as const } };
const MEAN = { 'niv.leak': { statistic: 'mean' as const } };
const hi = { median: 30, mean: 35 };
const lo = { median: 10, mean: 12 };

describe('niv.leak on the 24 h median or mean (LATM)', () => {
  it.each([
    ['3 consecutive nights above', [lo, hi, hi, hi], 'raise'],
    ['2 consecutive nights above', [hi, lo, hi, hi], 'clear'],
    ['3 above but not consecutive', [hi, hi, lo, hi], 'clear'],
  ] as [string, Night[], string][])('median: %s → %s', (_name, nights, expected) => {
    expect(leak(nights, MEDIAN)?.kind).toBe(expected);
    expect(leak(nights, MEAN)?.kind).toBe(expected);
  });

  it('today\'s default is the P95, whatever the median says', () => {
    expect(leak([lo, hi, hi, hi], {})?.kind).toBe('clear'); // P95 10 every night
    expect(leak([{ p95: 30 }, { p95: 30 }, { p95: 30 }], {})).toMatchObject({ kind: 'raise', message: 'Leak P95 above 24 L/min on 3 consecutive nights (last 30 L/min)' });
  });

  it('names the statistic in the message and uses its value', () => {
    expect(leak([hi, hi, hi], MEDIAN)).toMatchObject({ kind: 'raise', value: 30, threshold: 24, message: 'Leak median (24 h) above 24 L/min on 3 consecutive nights (last 30 L/min)' });
    expect(leak([hi, hi, hi], MEAN)).toMatchObject({ value: 35, message: 'Leak mean (24 h) above 24 L/min on 3 consecutive nights (last 35 L/min)' });
  });

  it('the run length is the physician\'s (3 to 7 days)', () => {
    const nights = [lo, hi, hi, hi, hi];
    expect(leak(nights, { 'niv.leak': { statistic: 'median', consecutiveNights: 4 } })?.kind).toBe('raise');
    expect(leak(nights, { 'niv.leak': { statistic: 'median', consecutiveNights: 5 } })?.kind).toBe('clear');
  });

  it("without the session's median, the leak samples' median of that therapy day counts; the session's wins when it has one", () => {
    const nights = [{}, {}, {}]; // sessions without leakMedian
    const fromSamples = new Map<string, LeakFromSamples>([-2, -1, 0].map((d) => [addDays(LAST, d), { median: 28, mean: 29 }]));
    expect(leak(nights, MEDIAN)).toBeUndefined(); // no value on the last night: nothing to judge
    expect(leak(nights, MEDIAN, { fromSamples })).toMatchObject({ kind: 'raise', value: 28 });
    expect(leak([{}, {}, { median: 12 }], MEDIAN, { fromSamples })?.kind).toBe('clear');
    // Samples of a night without any session do not make a night: the streak is broken.
    const withGap = new Map(fromSamples);
    expect(leak([{}, null, {}], MEDIAN, { fromSamples: withGap })?.kind).toBe('clear');
  });
});

describe('niv.leak settings validation', () => {
  it.each([
    [{ statistic: 'median' }, true],
    [{ statistic: 'mean', consecutiveNights: 7 }, true],
    [{ statistic: 'median', consecutiveNights: 2 }, false],
    [{ statistic: 'mean', consecutiveNights: 8 }, false],
    [{ statistic: 'p95', consecutiveNights: 1 }, true], // today's range kept for the P95
    [{ consecutiveNights: 10 }, true],
    [{ statistic: 'max' }, false],
    [{ statistic: 50 }, false],
  ])('%j → valid %s', (params, ok) => {
    const v = validateOverrides('standard', { 'niv.leak': params });
    expect(v.ok).toBe(ok);
    if (!v.ok) expect(v.errors.join()).toMatch(/niv\.leak\.(statistic|consecutiveNights)/);
  });
});
