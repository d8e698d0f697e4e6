import { describe, expect, it } from '@jest/globals';
import { bandFor, bandLabel, bucketFor, chartGeometry, dayTicks, targetFor, type ChartBucket } from '../../public/js/clinical-charts.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 1);
const bucket = (h: number, min: number, avg: number, max: number): ChartBucket => ({ start: new Date(T0 + h * H).toISOString(), min, avg, max, count: 10 });
const base = { fromMs: T0, toMs: T0 + 10 * H, bucketMs: H, width: 1000, height: 200, pad: { left: 0, right: 0, top: 0, bottom: 0 }, yDomain: [80, 100] as [number, number] };

describe('trend chart geometry (patient page and report)', () => {
  it('draws the mean as a line and min–max as a band, mapped to the plot', () => {
    const g = chartGeometry([bucket(0, 90, 95, 100), bucket(1, 80, 85, 90)], base);
    // x at bucket middles: 0.5 h and 1.5 h of 10 h → 50 and 150; y: 100 → 0, 80 → 200.
    expect(g.line).toBe('M50.0,50.0L150.0,150.0');
    expect(g.band).toBe('M50.0,0.0L150.0,100.0L150.0,200.0L50.0,100.0Z');
  });

  it('breaks the line and the band over missing buckets', () => {
    const g = chartGeometry([bucket(0, 90, 92, 94), bucket(1, 90, 92, 94), bucket(5, 90, 92, 94)], base);
    expect(g.line.match(/M/g)).toHaveLength(2);
    expect(g.band.match(/Z/g)).toHaveLength(2);
  });

  it('draws an isolated bucket across its width', () => {
    expect(chartGeometry([bucket(2, 90, 92, 94)], base).line).toBe('M200.0,80.0L300.0,80.0');
  });

  it('widens the y range to the data and the target band', () => {
    const g = chartGeometry([bucket(0, 72.5, 80, 90)], { ...base, target: { low: 88, high: 92 } });
    expect([g.lo, g.hi]).toEqual([72, 100]);
    expect(g.target!.y1).toBeLessThan(g.target!.y2);
    expect(chartGeometry([], { ...base, yDomain: [94, 96], target: { low: 88, high: 98 } })).toMatchObject({ lo: 88, hi: 98, line: '', band: '' });
  });

  it('draws an open band side (no limit) to the plot edge and keeps the y range', () => {
    const g = chartGeometry([], { ...base, target: { low: 90, high: null } });
    expect([g.lo, g.hi]).toEqual([80, 100]);
    expect(g.target).toEqual({ y1: 0, y2: 100 });
    expect(chartGeometry([], { ...base, target: { low: null, high: 90 } }).target).toEqual({ y1: 100, y2: 200 });
  });

  it('puts day ticks on local midnights, at most 8', () => {
    const ticks = dayTicks(T0, T0 + 30 * 24 * H);
    expect(ticks.length).toBeLessThanOrEqual(8);
    for (const t of ticks) expect(new Date(t).getHours()).toBe(0);
  });

  it.each([
    ['spo2', 'hypercapnic', { low: 88, high: 92 }],
    ['spo2', 'standard', { low: 94, high: 98 }],
    ['spo2', undefined, null],
    ['tidalVolume', 'standard', null],
  ] as [string, string | undefined, unknown][])('target of %s for a %s patient', (metric, profile, target) => {
    expect(targetFor(metric, profile)).toEqual(target);
  });

  it.each([
    [7, '1h'],
    [30, '6h'],
    [90, '1d'],
  ])('%d days are drawn with %s buckets', (days, name) => {
    expect(bucketFor(days).bucket).toBe(name);
  });
});

describe('chart band from the patient thresholds (GET /api/patients/:id/thresholds)', () => {
  const point = (threshold: number, enabled = true) => ({ enabled, threshold, durationSeconds: 300, hysteresis: 1, clearSeconds: 120 });
  const view = (effective: Record<string, unknown>, profile = 'hypercapnic') => ({ profile, defaults: {}, overrides: {}, effective });
  const hypercapnic = { 'spo2.critical': point(83), 'spo2.low': point(88), 'spo2.high_on_o2': { ...point(97), assumeOnOxygen: false }, 'pulse.high': point(120), 'pulse.low': point(45) };

  it('SpO2: from spo2.low to spo2.high_on_o2, following an override', () => {
    expect(bandFor('spo2', view(hypercapnic), 'hypercapnic')).toEqual({ low: 88, high: 97, source: 'thresholds' });
    expect(bandFor('spo2', view({ ...hypercapnic, 'spo2.low': point(86) }), 'hypercapnic')).toEqual({ low: 86, high: 97, source: 'thresholds' });
  });

  it('SpO2 without the high-on-oxygen rule (standard default): up to 100 %; a disabled low rule leaves the low side open', () => {
    const standard = { ...hypercapnic, 'spo2.low': point(92), 'spo2.high_on_o2': { ...point(97, false), assumeOnOxygen: false } };
    expect(bandFor('spo2', view(standard, 'standard'), 'standard')).toEqual({ low: 92, high: 100, source: 'thresholds' });
    expect(bandFor('spo2', view({ ...standard, 'spo2.low': point(92, false) }, 'standard'))).toEqual({ low: null, high: 100, source: 'thresholds' });
  });

  it('pulse: pulse.low to pulse.high; respiratory rate: the reference range', () => {
    expect(bandFor('pulseRate', view({ ...hypercapnic, 'pulse.high': point(130) }))).toEqual({ low: 45, high: 130, source: 'thresholds' });
    expect(bandFor('respRate', view(hypercapnic))).toEqual({ low: 12, high: 20, source: 'reference' });
  });

  it.each([
    ['no thresholds view', null],
    ['a flat view', { spo2Low: 90 }],
    ['a view without the SpO2 rules', view({ 'niv.leak': { enabled: true, threshold: 24, consecutiveNights: 3 } })],
  ])('falls back to the profile target with %s', (_name, thresholds) => {
    expect(bandFor('spo2', thresholds, 'hypercapnic')).toEqual({ low: 88, high: 92, source: 'profile' });
  });

  it("uses the view's profile when the page does not know it; none when neither does", () => {
    expect(bandFor('spo2', view({}, 'standard'), undefined)).toEqual({ low: 94, high: 98, source: 'profile' });
    expect(bandFor('spo2', null, undefined)).toBeNull();
  });

  it('labels the band', () => {
    expect(bandLabel({ low: 88, high: 97, source: 'thresholds' }, '%')).toBe('alert limits 88–97 %');
    expect(bandLabel({ low: null, high: 100, source: 'thresholds' }, '%')).toBe('alert limits ≤ 100 %');
    expect(bandLabel({ low: 12, high: 20, source: 'reference' }, '/min')).toBe('reference 12–20 /min');
  });
});
