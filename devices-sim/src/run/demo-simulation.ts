import type { DeviceKind, PatientProfile } from '#domain';
import { DAY_MS } from '../generators/night-plan.js';
import { hashSeed } from '../generators/prng.js';
import { SCENARIOS, type ScenarioId } from '../scenarios/scenario-catalogue.js';
import { runSimulation, type SimulatedPatient, type SimulationSummary, type StreamTuning } from './simulation.js';

export interface DemoDevice {
  deviceId: string;
  secret: string;
  kind: DeviceKind;
  scenario: ScenarioId;
  /** Devices with the same patientId are one patient (they share nights and seed). Default: the device alone. */
  patientId?: string;
  profile?: PatientProfile;
}

export interface DemoSimulationOptions {
  mqttUrl: string;
  devices: DemoDevice[];
  log?: (message: string) => void;
  seed?: number;
  /** Nights of history uploaded at start (default: what the demo's scenarios need, at most 22). */
  historyDays?: number;
  /** History oximetry spacing (default 30 s: keeps the embedded database's start-up short). */
  historySampleIntervalMs?: number;
  /** Acute alerts should be raised about this long after start (default 30 s). */
  alertWithinMs?: number;
  /** Live start (default now). */
  now?: number;
}

export interface DemoSimulation {
  stop: () => Promise<void>;
  /** Settles when the simulation ends (after stop()). */
  done: Promise<SimulationSummary>;
}

/**
 * Where each scenario's event goes in the demo so its alert comes in the first minute: acute
 * episodes start in the recent past (the minutes before start are uploaded as history at once)
 * so their duration threshold is crossed `alertWithinMs` after start; the offline device comes
 * back 45 s after start with a backlog holding a desaturation that is already ≥ 5 minutes long.
 */
export function demoEventPlacement(scenario: ScenarioId, now: number, alertWithinMs: number): { eventAt: number; offlineMs?: number } {
  const def = SCENARIOS[scenario];
  if (def.delivery.kind === 'offline') {
    // window [now − 9 min, now + 45 s]: eventAt − d/4 = −540 s, eventAt + 3d/4 = +45 s
    const d = 585_000;
    return { eventAt: now - 540_000 + d / 4, offlineMs: d };
  }
  if (def.alertAfterMs !== undefined) return { eventAt: now + alertWithinMs - def.alertAfterMs };
  return { eventAt: now + 10_000 };
}

/** History every 30 s (a short start-up), the last 15 minutes (where acute episodes begin) at 1 Hz. */
export function demoTuning(historySampleIntervalMs = 30_000): StreamTuning {
  return { historySampleIntervalMs, fullRateHistoryMs: 15 * 60_000 };
}

/**
 * The simulator inside the backend's demo mode (CONTRACT.md §5): the demo's registered devices
 * play their scenarios (history first, then live) until stop(). Returns at once.
 */
export function startDemoSimulation(o: DemoSimulationOptions): DemoSimulation {
  const now = o.now ?? Date.now();
  const alertWithinMs = o.alertWithinMs ?? 30_000;
  const byPatient = new Map<string, DemoDevice[]>();
  for (const d of o.devices) {
    const key = d.patientId ?? d.deviceId;
    byPatient.set(key, [...(byPatient.get(key) ?? []), d]);
  }
  const patients: SimulatedPatient[] = [...byPatient.entries()].map(([key, devices]) => {
    const scenario = devices[0]!.scenario;
    return {
      scenario,
      profile: devices[0]!.profile,
      seed: hashSeed(o.seed ?? 1, key),
      devices: devices.map(({ deviceId, secret, kind }) => ({ deviceId, secret, kind })),
      ...demoEventPlacement(scenario, now, alertWithinMs),
    };
  });
  const neededNights = Math.max(1, ...patients.map((p) => SCENARIOS[p.scenario].historyNights + 1));
  const controller = new AbortController();
  o.log?.(`simulator: ${o.devices.length} device(s), ${patients.length} patient(s), ${o.historyDays ?? Math.min(neededNights, 22)} day(s) of history`);
  const done = runSimulation({
    mqttUrl: o.mqttUrl,
    patients,
    now,
    historyMs: (o.historyDays ?? Math.min(neededNights, 22)) * DAY_MS,
    tuning: demoTuning(o.historySampleIntervalMs),
    eventSpacingMs: 0,
    signal: controller.signal,
    log: o.log,
  });
  return {
    done,
    stop: async () => {
      controller.abort();
      await done.catch(() => undefined);
    },
  };
}

