import type { DeviceKind, PatientProfile } from '#domain';
import { runDevice } from '../device/device-runner.js';
import { RunStats, type LatencySummary } from '../device/run-stats.js';
import { SimDevice, type PublishRecord } from '../device/sim-device.js';
import { generateDeviceStream, type DeviceEvent, type DeviceStreamOptions } from '../generators/device-stream.js';
import { DAY_MS } from '../generators/night-plan.js';
import { Rng } from '../generators/prng.js';
import { SCENARIOS, type ScenarioId } from '../scenarios/scenario-catalogue.js';

export interface SimulatedDevice {
  deviceId: string;
  secret?: string;
  kind: DeviceKind;
}

export interface SimulatedPatient {
  scenario: ScenarioId;
  profile?: PatientProfile;
  /** The patient's seed (its devices share it). */
  seed: number;
  devices: SimulatedDevice[];
  /** Absolute time of the scenario's event; default: live start + eventIn (+ spacing × index). */
  eventAt?: number;
  /** Offline duration for offline-backlog (default 8 h). */
  offlineMs?: number;
}

/** Stream settings shared by every device (intervals, batch sizes, timestamp format). */
export type StreamTuning = Pick<
  DeviceStreamOptions,
  'sampleIntervalMs' | 'historySampleIntervalMs' | 'fullRateHistoryMs' | 'batchMs' | 'ventilatorBatchMs' | 'maxSamplesPerMessage' | 'timestampFormat' | 'nightStartHourUtc'
>;

export interface SimulationOptions {
  mqttUrl: string;
  patients: SimulatedPatient[];
  /** Live start (epoch ms); default: now. History runs from now − historyMs. */
  now?: number;
  historyMs?: number;
  /** Live duration; default endless (until `signal` aborts). 0: history only. */
  durationMs?: number;
  /** Default event time relative to the live start, and the spacing between patients' events. */
  eventInMs?: number;
  eventSpacingMs?: number;
  tuning?: StreamTuning;
  maxInflight?: number;
  connectConcurrency?: number;
  signal?: AbortSignal;
  log?: (message: string) => void;
  onRecord?: (record: PublishRecord) => void;
  /** Called for every device event as it is played (dry runs, tracing). */
  onEvent?: (deviceId: string, event: DeviceEvent) => void;
  /** Periodic totals while running (default every 5 s). */
  onProgress?: (progress: SimulationProgress) => void;
  progressEveryMs?: number;
}

export interface SimulationProgress {
  elapsedMs: number;
  connected: number;
  sent: number;
  acknowledged: number;
  pending: number;
  samples: number;
  sessions: number;
  ackLatencyMs: LatencySummary;
}

export interface SimulationSummary {
  devices: number;
  connected: number;
  sent: number;
  acknowledged: number;
  failed: number;
  samples: number;
  sessions: number;
  bytes: number;
  ackLatencyMs: LatencySummary;
  startedAt: string;
  endedAt: string;
  errors: string[];
}

/** History can reach back no further than the backend's backfill horizon (30 days by default). */
export const MAX_HISTORY_MS = 29.5 * DAY_MS;

function firmwareFor(kind: DeviceKind): string {
  return kind === 'oximeter' ? '2.4.1' : kind === 'concentrator' ? '3.0.2' : '5.1.0';
}

/** Per-device streams of a simulation, without any I/O (also used by --dry-run). */
export function simulationStreams(o: Omit<SimulationOptions, 'mqttUrl'> & { now: number }): Array<{ patient: SimulatedPatient; device: SimulatedDevice; events: Iterable<DeviceEvent> }> {
  const historyMs = Math.min(o.historyMs ?? 0, MAX_HISTORY_MS);
  const liveFrom = o.now;
  const to = o.durationMs === undefined ? Infinity : liveFrom + o.durationMs;
  return o.patients.flatMap((patient, index) =>
    patient.devices.map((device) => ({
      patient,
      device,
      events: generateDeviceStream({
        ...o.tuning,
        kind: device.kind,
        scenario: patient.scenario,
        profile: patient.profile,
        seed: patient.seed,
        from: liveFrom - historyMs,
        liveFrom,
        to,
        eventAt: patient.eventAt ?? liveFrom + (o.eventInMs ?? 30_000) + index * (o.eventSpacingMs ?? 15_000),
        offlineMs: patient.offlineMs,
      }),
    })),
  );
}

/**
 * Runs simulated patients against a broker: every device connects with its own credentials and
 * plays its stream (history as fast as acknowledged, then real time) until the duration ends
 * or `signal` aborts. Resolves with the totals.
 */
export async function runSimulation(o: SimulationOptions): Promise<SimulationSummary> {
  const startedAt = new Date();
  const now = o.now ?? startedAt.getTime();
  const stats = new RunStats();
  const errors: string[] = [];
  if ((o.historyMs ?? 0) > MAX_HISTORY_MS) o.log?.(`history limited to ${MAX_HISTORY_MS / DAY_MS} days (the backend's backfill horizon is 30 days)`);
  const streams = simulationStreams({ ...o, now });
  const devices = streams.map(({ patient, device }) => {
    const rng = Rng.derive(patient.seed, device.deviceId, 'status');
    return new SimDevice({
      mqttUrl: o.mqttUrl,
      deviceId: device.deviceId,
      secret: device.secret,
      status: { battery: rng.int(35, 100), firmware: firmwareFor(device.kind) },
      onRecord: (r) => {
        stats.onRecord(r);
        o.onRecord?.(r);
      },
      log: o.log,
    });
  });
  // connect in small waves so a thousand devices do not knock on the broker at once
  const concurrency = o.connectConcurrency ?? 25;
  const connected = new Set<number>();
  for (let i = 0; i < devices.length; i += concurrency) {
    await Promise.all(
      devices.slice(i, i + concurrency).map(async (d, j) => {
        try {
          await d.connect();
          connected.add(i + j);
        } catch (err) {
          errors.push((err as Error).message);
          o.log?.((err as Error).message);
        }
      }),
    );
    if (o.signal?.aborted) break;
  }
  const t0 = Date.now();
  const progress = o.onProgress
    ? setInterval(
        () =>
          o.onProgress!({
            elapsedMs: Date.now() - t0,
            connected: devices.filter((d) => d.connected).length,
            sent: stats.sent,
            acknowledged: stats.acked,
            pending: stats.pending,
            samples: stats.samplesSent,
            sessions: stats.sessionsSent,
            ackLatencyMs: stats.latency.takeRecent(),
          }),
        o.progressEveryMs ?? 5000,
      )
    : undefined;
  const runs = streams.map(async ({ device, events }, i) => {
    if (!connected.has(i)) return;
    const traced = o.onEvent ? tap(events, (e) => o.onEvent!(device.deviceId, e)) : events;
    try {
      await runDevice({ device: devices[i]!, events: traced, stats, maxInflight: o.maxInflight, signal: o.signal, log: o.log });
    } catch (err) {
      errors.push(`${device.deviceId}: ${(err as Error).message}`);
    }
  });
  await Promise.all(runs);
  clearInterval(progress);
  return {
    devices: devices.length,
    connected: connected.size,
    sent: stats.sent,
    acknowledged: stats.acked,
    failed: stats.failed,
    samples: stats.samplesSent,
    sessions: stats.sessionsSent,
    bytes: stats.bytesSent,
    ackLatencyMs: stats.latency.summary(),
    startedAt: startedAt.toISOString(),
    endedAt: new Date().toISOString(),
    errors,
  };
}

function* tap<T>(items: Iterable<T>, f: (item: T) => void): Generator<T> {
  for (const item of items) {
    f(item);
    yield item;
  }
}

export interface ScenarioRunOptions extends Omit<SimulationOptions, 'patients'> {
  scenario: ScenarioId;
  profile?: PatientProfile;
  seed?: number;
  devices: SimulatedDevice[];
  eventAt?: number;
  offlineMs?: number;
}

/** One patient, one scenario (the common case in tests). History defaults to what the scenario needs. */
export function runScenario(o: ScenarioRunOptions): Promise<SimulationSummary> {
  const def = SCENARIOS[o.scenario];
  return runSimulation({
    ...o,
    historyMs: o.historyMs ?? (def.historyNights > 0 ? (def.historyNights + 1) * DAY_MS : 0),
    patients: [{ scenario: o.scenario, profile: o.profile, seed: o.seed ?? 1, devices: o.devices, eventAt: o.eventAt, offlineMs: o.offlineMs }],
  });
}
