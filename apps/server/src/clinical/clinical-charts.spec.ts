import { describe, expect, it } from '@jest/globals';
import { bucketFor, chartGeometry, dayTicks, targetFor, type ChartBucket } from '../../public/js/clinical-charts.js';

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
