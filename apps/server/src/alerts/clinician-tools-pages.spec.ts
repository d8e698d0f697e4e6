import { describe, expect, it } from '@jest/globals';
// The pages' own modules (plain JS served as is): their text and geometry, without a browser.
import { describeParameters, evidenceGeometry } from '../../public/js/evidence-chart.js';
import { previewDifferences, previewSummary, timelineGeometry } from '../../public/js/clinical-whatif.js';

const T0 = Date.UTC(2026, 10, 1, 10);
const iso = (ms: number) => new Date(ms).toISOString();

describe('what-if line and timeline (patient page)', () => {
  const preview = {
    from: iso(T0),
    to: iso(T0 + 30 * 86_400_000),
    days: 30,
    current: { 'spo2.low': 40, 'pulse.high': 1 },
    proposed: { 'spo2.low': 2, 'pulse.high': 1 },
    labels: { 'spo2.low': 'Sustained low SpO2', 'pulse.high': 'Tachycardia' },
    alerts: { current: [{ rule: 'spo2.low', raisedAt: iso(T0) }, { rule: 'pulse.high', raisedAt: iso(T0 + 15 * 86_400_000) }], proposed: [{ rule: 'spo2.low', raisedAt: iso(T0 + 30 * 86_400_000) }] },
  };
  it('says what the edited settings and today’s would have raised', () => {
    expect(previewSummary(preview)).toBe("These settings: 3 alerts in 30 days, today's: 41.");
    expect(previewSummary({ ...preview, proposed: { 'spo2.low': 1 } })).toBe("These settings: 1 alert in 30 days, today's: 41.");
    expect(previewDifferences(preview)).toEqual(['Sustained low SpO2: 2 instead of 40']);
  });
  it('places each alert on the period axis, one row per setting', () => {
    const g = timelineGeometry(preview, { width: 410, pad: { left: 10, right: 0, top: 0, bottom: 0 }, rowHeight: 20 });
    expect(g.rows.map((r) => [r.key, r.y, r.ticks.map((t) => t.x)])).toEqual([
      ['current', 10, [10, 210]],
      ['proposed', 30, [410]],
    ]);
  });
});

describe('evidence chart (console and patient page)', () => {
  const evidence = {
    window: { from: iso(T0), to: iso(T0 + 100_000) },
    samples: [
      { at: iso(T0), value: 86 },
      { at: iso(T0 + 100_000), value: 84 },
    ],
    statistic: { threshold: 88, unit: '%' },
    parameters: { enabled: true, threshold: 88, durationSeconds: 300, hysteresis: 1, clearSeconds: 120 },
  };
  it('draws the samples inside the plot and the limit line at the threshold', () => {
    const pad = { left: 0, right: 0, top: 0, bottom: 0 };
    const g = evidenceGeometry(evidence, { width: 100, height: 100, pad });
    // y domain 83..89 (values and limit, ±1): 88 → 1/6 from the top.
    expect([g.lo, g.hi]).toEqual([83, 89]);
    expect(g.dots).toEqual([
      { cx: 0, cy: 50 },
      { cx: 100, cy: 83.3 },
    ]);
    expect(g.limit).toEqual({ y: 16.7, x1: 0, x2: 100 });
    for (const d of g.dots) expect(d.cy).toBeGreaterThan(g.limit!.y); // below the limit line: met a low rule
  });
  it('words the settings in force for a clinician, in a clinical order', () => {
    expect(describeParameters(evidence)).toBe('Settings at the time: limit 88 %, lasting at least 5 min, ends once back 1 % past the limit, for 2 min.');
    expect(describeParameters({ ...evidence, parameters: null })).toMatch(/not recorded/);
  });
});
