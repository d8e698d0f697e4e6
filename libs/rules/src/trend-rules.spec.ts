import { describe, expect, it } from '@jest/globals';
import { addDays, daysBetween, lastCompleteNight, nightEnd, nightKeyOf, tzOffsetMs, zonedEpoch } from './calendar.js';
import { deviceSpokeAgain, evaluateDeviceSilence } from './device-silence.js';
import { evaluateOximetryBaseline, oximetryComposite, type DailyOximetry } from './oximetry-baseline.js';
import { effectiveSettings } from './parameters.js';

const TZ = 'Europe/Paris';
const H = 3_600_000;

describe('calendar (noon-to-noon nights in the patient timezone)', () => {
  it.each([
    ['22:00 local belongs to that evening', Date.UTC(2026, 10, 22, 21), '2026-11-22'],
    ['03:00 local belongs to the previous evening', Date.UTC(2026, 10, 23, 2), '2026-11-22'],
    ['11:59 local still the previous evening', Date.UTC(2026, 10, 23, 10, 59), '2026-11-22'],
    ['12:00 local starts a new night', Date.UTC(2026, 10, 23, 11), '2026-11-23'],
  ])('%s', (_name, t, key) => {
    expect(nightKeyOf(t, TZ)).toBe(key);
  });

  it('converts local wall time to an instant across DST changes', () => {
    expect(zonedEpoch('2026-11-22', 20, TZ)).toBe(Date.UTC(2026, 10, 22, 19));
    expect(zonedEpoch('2026-07-01', 20, TZ)).toBe(Date.UTC(2026, 6, 1, 18));
    expect(tzOffsetMs(Date.UTC(2026, 6, 1), TZ)).toBe(2 * H);
    expect(nightEnd('2026-11-22', TZ)).toBe(Date.UTC(2026, 10, 23, 11));
  });

  it('does date arithmetic on keys', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(daysBetween('2026-11-20', '2026-11-23')).toBe(3);
  });

  it.each([
    ['at 10:00 the last night is still open: the one before', Date.UTC(2026, 10, 23, 9), '2026-11-21'],
    ['at 13:00 last night is over', Date.UTC(2026, 10, 23, 12), '2026-11-22'],
  ])('lastCompleteNight %s', (_name, now, key) => {
    expect(lastCompleteNight(now, TZ)).toBe(key);
  });
});

describe('oximetry.baseline (Hurst 2010)', () => {
  const settings = effectiveSettings('hypercapnic', null);
  const DAY = '2026-11-22';
  /** 14 baseline days alternating SpO2 92/94 (SD ≈ 1.04) and pulse 78/82 (SD ≈ 2.08), then today. */
  function days(today: { spo2: number; pulse: number } | null, baselineCount = 14): DailyOximetry[] {
    const out: DailyOximetry[] = [];
    for (let i = 1; i <= baselineCount; i++) {
      out.push({ day: addDays(DAY, -i), spo2Mean: i % 2 ? 92 : 94, pulseMean: i % 2 ? 78 : 82 });
    }
    if (today) out.push({ day: DAY, spo2Mean: today.spo2, pulseMean: today.pulse });
    return out;
  }

  it.each([
    ['no change', { spo2: 93, pulse: 80 }, 'clear'],
    ['SpO2 −2 and pulse +1 (composite ≈ 1.2)', { spo2: 91, pulse: 81 }, 'raise'],
    ['SpO2 −1 and pulse +2 (composite ≈ 0.96)', { spo2: 92, pulse: 82 }, 'clear'],
    ['only a pulse rise of 5 (composite ≈ 1.2)', { spo2: 93, pulse: 85 }, 'raise'],
    ['SpO2 higher and pulse lower', { spo2: 96, pulse: 70 }, 'clear'],
  ] as const)('%s → %s', (_name, today, expected) => {
    expect(evaluateOximetryBaseline(days(today), DAY, TZ, settings)?.kind).toBe(expected);
  });

  it('computes the composite as the mean of the two z-scores', () => {
    const r = oximetryComposite(days({ spo2: 91, pulse: 81 }), DAY, settings['oximetry.baseline'])!;
    expect(r.spo2Z).toBeCloseTo(2 / 1.0377, 3);
    expect(r.pulseZ).toBeCloseTo(1 / 2.0755, 3);
    expect(r.composite).toBeCloseTo((r.spo2Z + r.pulseZ) / 2, 9);
    expect(r.baselineDays).toBe(14);
  });

  it.each([
    ['9 baseline days is not enough', days({ spo2: 85, pulse: 100 }, 9), null],
    ['10 baseline days is enough', days({ spo2: 85, pulse: 100 }, 10), 'raise'],
    ['no data today', days(null), null],
  ] as const)('%s', (_name, data, expected) => {
    expect(evaluateOximetryBaseline(data, DAY, TZ, settings)?.kind ?? null).toBe(expected);
  });

  it('floors the SD of a perfectly flat baseline', () => {
    const flat: DailyOximetry[] = Array.from({ length: 14 }, (_, i) => ({ day: addDays(DAY, -(i + 1)), spo2Mean: 93, pulseMean: 80 }));
    const r = oximetryComposite([...flat, { day: DAY, spo2Mean: 92, pulseMean: 80 }], DAY, settings['oximetry.baseline'])!;
    expect(r.spo2Z).toBe(2);
    expect(r.composite).toBe(1);
  });

  // Flat baseline (SpO2 93 %, pulse 80 /min): the SD floors (0.5 %, 1 /min) make the z-scores exact.
  it.each([
    ['composite exactly 1.0 (SpO2 −0.5 = 1 SD, pulse +1 = 1 SD): ≥ 1 raises', 92.5, 81, 1, 'raise'],
    ['composite exactly 1.0 from the SpO2 alone (−1 = 2 SD)', 92, 80, 1, 'raise'],
    ['composite 0.99 (pulse +0.98 = 0.98 SD): clears', 92.5, 80.98, 0.99, 'clear'],
    ['composite 1.01 (pulse +1.02)', 92.5, 81.02, 1.01, 'raise'],
  ] as const)('threshold boundary: %s', (_name, spo2, pulse, composite, kind) => {
    const flat: DailyOximetry[] = Array.from({ length: 14 }, (_, i) => ({ day: addDays(DAY, -(i + 1)), spo2Mean: 93, pulseMean: 80 }));
    const d = evaluateOximetryBaseline([...flat, { day: DAY, spo2Mean: spo2, pulseMean: pulse }], DAY, TZ, settings)!;
    expect(d).toMatchObject({ kind, value: composite, threshold: 1 });
  });
});

describe('device.silent', () => {
  const settings = effectiveSettings('standard', null);
  const last = Date.UTC(2026, 10, 20, 8);
  it.each([
    ['23 h 59 min: nothing', 24 * H - 60_000, null],
    ['exactly 24 h: info', 24 * H, 'info'],
    ['71 h: info', 71 * H, 'info'],
    ['exactly 72 h: warning', 72 * H, 'warning'],
  ] as const)('%s', (_name, silence, severity) => {
    expect(evaluateDeviceSilence('OX-1', last, last + silence, settings)?.severity ?? null).toBe(severity);
  });

  it('identifies the silence by when the device was last heard, so reruns are the same episode', () => {
    const a = evaluateDeviceSilence('OX-1', last, last + 25 * H, settings)!;
    const b = evaluateDeviceSilence('OX-1', last, last + 80 * H, settings)!;
    expect(a.startedAt).toBe(b.startedAt);
    expect([a.kind, b.kind]).toEqual(['raise', 'raise']);
    expect(b).toMatchObject({ severity: 'warning', threshold: 72, value: 80 });
    expect(deviceSpokeAgain('OX-1', last)).toMatchObject({ kind: 'clear', rule: 'device.silent' });
  });

  it('honours the patient settings', () => {
    const custom = effectiveSettings('standard', { 'device.silent': { infoAfterHours: 6, warningAfterHours: 12 } });
    expect(evaluateDeviceSilence('OX-1', last, last + 7 * H, custom)?.severity).toBe('info');
    expect(evaluateDeviceSilence('OX-1', last, last + 13 * H, custom)?.severity).toBe('warning');
  });
});
