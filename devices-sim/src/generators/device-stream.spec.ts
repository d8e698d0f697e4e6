import { describe, expect, it } from '@jest/globals';
import type { DeviceKind } from '#domain';
import { MAX_PAYLOAD_BYTES, MAX_SAMPLES_PER_MESSAGE, parseReadingsPayload, type ParsedSample } from '#protocol';
import { SCENARIO_IDS, SCENARIOS } from '../scenarios/scenario-catalogue.js';
import { generateDeviceStream, type DeviceEvent, type DeviceStreamOptions, type PublishEvent } from './device-stream.js';
import { DAY_MS, MINUTE_MS } from './night-plan.js';
import { median } from './stats.js';

const NOW = Date.parse('2026-11-23T14:00:00.000Z');
const WINDOW = { nowMs: NOW + 10 * MINUTE_MS, backfillHorizonMs: 30 * DAY_MS, futureSkewMs: 5 * MINUTE_MS };

const base = (kind: DeviceKind, extra: Partial<DeviceStreamOptions> = {}): DeviceStreamOptions => ({
  kind,
  scenario: 'stable',
  seed: 1,
  from: NOW - 2 * DAY_MS,
  liveFrom: NOW,
  to: NOW + 10 * MINUTE_MS,
  ...extra,
});

const publishes = (events: Iterable<DeviceEvent>): PublishEvent[] => [...events].flatMap((e) => (e.type === 'publish' ? [e] : []));

describe('generateDeviceStream', () => {
  it.each(['oximeter', 'ventilator'] as const)('is deterministic under a seed (%s)', (kind) => {
    const a = JSON.stringify([...generateDeviceStream(base(kind))]);
    const b = JSON.stringify([...generateDeviceStream(base(kind))]);
    const c = JSON.stringify([...generateDeviceStream(base(kind, { seed: 2 }))]);
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  it('gives a patient the same nights on both devices (shared seed)', () => {
    const vent = publishes(generateDeviceStream(base('ventilator')));
    const again = publishes(generateDeviceStream(base('ventilator', { from: NOW - 2 * DAY_MS })));
    const sessions = (ev: PublishEvent[]) => ev.flatMap((e) => e.payload.sessions ?? []);
    // the same night is the same whatever the run window
    expect(sessions(again)).toEqual(sessions(vent).slice(-sessions(again).length));
  });

  it.each(SCENARIO_IDS.flatMap((s) => SCENARIOS[s].devices.map((k) => [s, k] as const)))(
    '%s / %s: every message passes the backend parser with nothing rejected',
    (scenario, kind) => {
      const events = publishes(generateDeviceStream(base(kind, { scenario, eventAt: NOW - 2 * 3_600_000 })));
      expect(events.length).toBeGreaterThan(0);
      for (const e of events) {
        const r = parseReadingsPayload(JSON.stringify(e.payload), WINDOW);
        expect(r.ok && r.rejected).toEqual([]);
      }
    },
  );

  it.each(['oximeter', 'ventilator'] as const)('respects the contract limits and never sends data before it exists (%s)', (kind) => {
    let prev = -Infinity;
    const faults: string[] = [];
    for (const e of generateDeviceStream(base(kind, { from: NOW - 2 * DAY_MS, historySampleIntervalMs: 1000 }))) {
      if (e.type !== 'publish') continue;
      if (e.sampleCount > MAX_SAMPLES_PER_MESSAGE) faults.push(`seq ${e.payload.seq}: ${e.sampleCount} samples`);
      if (Buffer.byteLength(JSON.stringify(e.payload)) > MAX_PAYLOAD_BYTES) faults.push(`seq ${e.payload.seq}: too large`);
      if (e.sendAt < e.lastAt) faults.push(`seq ${e.payload.seq}: sent before its data`);
      if (e.sendAt < prev) faults.push(`seq ${e.payload.seq}: out of order`);
      prev = e.sendAt;
    }
    expect(faults).toEqual([]);
  });

  it('batches a live oximeter every 5 s at 1 Hz, history up to 1000 samples per message', () => {
    const events = publishes(generateDeviceStream(base('oximeter', { from: NOW - DAY_MS })));
    const live = events.filter((e) => e.firstAt >= NOW);
    const history = events.filter((e) => e.lastAt < NOW);
    expect(live.length).toBe(120);
    for (const e of live) {
      expect(e.sampleCount).toBe(5);
      expect(e.sendAt % 5000).toBe(0);
    }
    expect(Math.max(...history.map((e) => e.sampleCount))).toBe(MAX_SAMPLES_PER_MESSAGE);
    expect(history.reduce((n, e) => n + e.sampleCount, 0)).toBe(DAY_MS / 30_000);
  });

  it('numbers messages in order and writes epoch ms (oximeter) or ISO-8601 (ventilator)', () => {
    const ox = publishes(generateDeviceStream(base('oximeter')));
    expect(ox.map((e) => e.payload.seq)).toEqual(ox.map((_, i) => i + 1));
    expect(typeof ox[0]!.payload.samples![0]!.at).toBe('number');
    const ve = publishes(generateDeviceStream(base('ventilator')));
    expect(ve[0]!.payload.samples![0]!.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('is lazy: an endless stream yields its first messages at once', () => {
    const it = generateDeviceStream(base('oximeter', { from: NOW, to: undefined }));
    const first = Array.from({ length: 3 }, () => it.next().value as PublishEvent);
    expect(first.map((e) => e.sendAt)).toEqual([NOW + 5000, NOW + 10_000, NOW + 15_000]);
  });
});

describe('realistic values', () => {
  const samplesOf = (events: PublishEvent[]): ParsedSample[] =>
    events.flatMap((e) => {
      const r = parseReadingsPayload(JSON.stringify(e.payload), WINDOW);
      return r.ok ? r.samples : [];
    });

  it('a stable oximeter stays in physiological ranges, with a few motion artefacts flagged', () => {
    const s = samplesOf(publishes(generateDeviceStream(base('oximeter', { from: NOW - DAY_MS, historySampleIntervalMs: 1000 }))));
    const ok = s.filter((x) => x.signalOk);
    const artefacts = s.length - ok.length;
    expect(artefacts / s.length).toBeGreaterThan(0.0005);
    expect(artefacts / s.length).toBeLessThan(0.05);
    const range = (k: 'spo2' | 'pulseRate' | 'perfusionIndex') => {
      const v = ok.map((x) => x.values[k]!);
      return [Math.min(...v), Math.max(...v)];
    };
    const [spo2Min, spo2Max] = range('spo2');
    const [pulseMin, pulseMax] = range('pulseRate');
    const [piMin, piMax] = range('perfusionIndex');
    expect(spo2Min).toBeGreaterThanOrEqual(88);
    expect(spo2Max).toBeLessThanOrEqual(99);
    expect(pulseMin).toBeGreaterThanOrEqual(50);
    expect(pulseMax).toBeLessThanOrEqual(105);
    expect(piMin).toBeGreaterThan(0);
    expect(piMax).toBeLessThan(15);
    // autocorrelated: consecutive seconds differ by little
    const steps = ok.slice(1).map((x, i) => Math.abs(x.values.spo2! - ok[i]!.values.spo2!));
    expect(median(steps)).toBeLessThanOrEqual(1);
  });

  it('a ventilator sends per-minute samples each night and a morning summary consistent with them', () => {
    const events = publishes(generateDeviceStream(base('ventilator', { from: NOW - 4 * DAY_MS })));
    const summaries = events.filter((e) => e.sessionCount > 0);
    expect(summaries.length).toBe(4);
    for (const summary of summaries) {
      const session = summary.payload.sessions![0]!;
      const start = Date.parse(String(session.start));
      const end = Date.parse(String(session.end));
      expect(summary.sendAt).toBe(end + MINUTE_MS);
      const minutes = samplesOf(events).filter((s) => s.at >= start && s.at < end);
      expect(minutes.length).toBe(Math.round((end - start) / MINUTE_MS));
      expect(session.usageHours).toBeCloseTo((end - start) / 3_600_000, 2);
      expect(session.respRateMedian).toBe(median(minutes.map((m) => m.values.respRate!)));
      expect(session.leakP95).toBeLessThan(24);
      for (const m of minutes) {
        expect(m.values.minuteVentilation).toBeCloseTo((m.values.respRate! * m.values.tidalVolume!) / 1000, 0);
        expect(m.values.ipap! > m.values.epap!).toBe(true);
        expect(m.values.triggeredBreaths).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it('no motion artefact falls in an episode (the rule outcome is certain)', () => {
    const eventAt = NOW - 40 * MINUTE_MS;
    const s = samplesOf(publishes(generateDeviceStream(base('oximeter', { scenario: 'critical-drop', eventAt, from: NOW - 2 * 3_600_000, fullRateHistoryMs: 3 * 3_600_000 }))));
    const inEpisode = s.filter((x) => x.at >= eventAt - 60_000 && x.at < eventAt + 5 * MINUTE_MS);
    expect(inEpisode.length).toBeGreaterThan(300);
    expect(inEpisode.every((x) => x.signalOk)).toBe(true);
  });
});
