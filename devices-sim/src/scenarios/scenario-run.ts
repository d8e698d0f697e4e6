import type { DeviceKind, PatientProfile } from '#domain';
import { parseReadingsPayload, type ItemRejection, type ParsedSample, type ParsedSession, type TimeWindow } from '#protocol';
import { generateDeviceStream, type DeviceEvent, type DeviceStreamOptions } from '../generators/device-stream.js';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../generators/night-plan.js';
import { SCENARIOS, type ScenarioId } from './scenario-catalogue.js';

/**
 * A scenario played entirely as history ending at `now` (accelerated time): where its event
 * goes and how much history it gets. Shared by the pure outcome tests and the integration
 * tests, so both see the same data.
 */
export interface HistoryRun {
  from: number;
  liveFrom: number;
  to: number;
  eventAt: number;
  /** Acute scenarios are played at 1 Hz throughout; multi-night ones at the coarse history rate. */
  fullRateHistoryMs: number;
}

export function historyRunFor(scenario: ScenarioId, now: number): HistoryRun {
  const def = SCENARIOS[scenario];
  const full = 2 * HOUR_MS;
  if (def.delivery.kind === 'silent') return { from: now - 26 * HOUR_MS, liveFrom: now, to: now, eventAt: now - 25 * HOUR_MS, fullRateHistoryMs: 0 };
  // offline from now − 9 h to now − 1 h (eventAt − 2 h … eventAt + 6 h); back with 1 h of new data
  if (def.delivery.kind === 'offline') return { from: now - 10 * HOUR_MS, liveFrom: now, to: now, eventAt: now - 7 * HOUR_MS, fullRateHistoryMs: 0 };
  if (def.historyNights > 0) return { from: now - (def.historyNights + 1) * DAY_MS, liveFrom: now, to: now, eventAt: now - 60 * MINUTE_MS, fullRateHistoryMs: 0 };
  return { from: now - 90 * MINUTE_MS, liveFrom: now, to: now, eventAt: now - 70 * MINUTE_MS, fullRateHistoryMs: full };
}

export interface CollectedData {
  samples: ParsedSample[];
  sessions: ParsedSession[];
  rejected: ItemRejection[];
  messageRejections: string[];
  events: DeviceEvent[];
}

/** Plays the streams of a patient's devices through the backend's own parser, as received at `receivedAt`. */
export function collectThroughParser(
  devices: Array<{ kind: DeviceKind; options: Omit<DeviceStreamOptions, 'kind'> }>,
  window: (e: DeviceEvent) => TimeWindow,
): CollectedData {
  const out: CollectedData = { samples: [], sessions: [], rejected: [], messageRejections: [], events: [] };
  for (const d of devices) {
    for (const e of generateDeviceStream({ ...d.options, kind: d.kind })) {
      out.events.push(e);
      if (e.type !== 'publish') continue;
      const r = parseReadingsPayload(JSON.stringify(e.payload), window(e), d.kind);
      if (!r.ok) {
        out.messageRejections.push(r.reason);
        continue;
      }
      out.samples.push(...r.samples);
      out.sessions.push(...r.sessions);
      out.rejected.push(...r.rejected);
    }
  }
  return out;
}

export interface ScenarioHistoryOptions {
  scenario: ScenarioId;
  seed: number;
  now: number;
  profile?: PatientProfile;
  devices?: readonly DeviceKind[];
  historySampleIntervalMs?: number;
}

/** One scenario as accelerated history through the parser (the parser's clock: `now`, when the catch-up runs). */
export function playScenarioHistory(o: ScenarioHistoryOptions): CollectedData & { run: HistoryRun; profile: PatientProfile } {
  const def = SCENARIOS[o.scenario];
  const run = historyRunFor(o.scenario, o.now);
  const profile = o.profile ?? def.profile;
  const kinds = o.devices ?? def.devices;
  const data = collectThroughParser(
    kinds.map((kind) => ({
      kind,
      options: { scenario: o.scenario, profile, seed: o.seed, ...run, historySampleIntervalMs: o.historySampleIntervalMs },
    })),
    () => ({ nowMs: o.now, backfillHorizonMs: 30 * DAY_MS, futureSkewMs: 5 * MINUTE_MS }),
  );
  return { ...data, run, profile };
}
