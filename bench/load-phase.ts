import pg from 'pg';
import { AlertProbe } from './alert-probe.js';
import { sampleRss, scrapeMetric, type BackendProcess } from './backend.js';
import type { BenchOptions } from './bench-options.js';
import type { LoadSummary, PublishMark } from './load-protocol.js';
import { startLoad } from './load-runner.js';
import { StoreLatencyPoller, type Observation } from './store-latency.js';
import { cpuBetween, CpuAccounting } from './cpu-accounting.js';

const STORED_SERIES = 'tm_ingest_readings_stored_total';
const HEAP_SERIES = 'tm_nodejs_heap_size_used_bytes';

export interface LoadPhaseResult {
  summary: LoadSummary;
  loadStartedAt: number;
  loadEndedAt: number;
  /** When the ingest processes' stored counter reached everything sent (null: not within the drain timeout). */
  allStoredAt: number | null;
  /** Readings the ingest processes stored during the phase (their counters, load + desaturations). */
  storedByCounter: number;
  /** Stored-counter samples: [ms since load start, readings stored since load start]. */
  timeline: Array<[number, number]>;
  marks: PublishMark[];
  observations: Map<string, Observation[]>;
  storePolls: number;
  probe: AlertProbe;
  alertReadingsSent: number;
  /** CPU seconds per component from just before the load until everything was stored. */
  cpuSeconds: Record<string, number>;
  /** Highest V8 heap in use per backend process (1 s samples of /metrics), MB. */
  heapUsedMb: Record<string, number>;
}

/**
 * The measured phase: the load (worker thread), the desaturating devices and the console, the
 * store-latency poller, RSS sampling of the backend processes and the ingest counters, then the
 * drain (until the ingest processes have stored everything that was sent, bounded).
 */
/** What one load phase runs: the sustained phase (latencies, alerts) or the capacity phase (throughput only). */
export interface PhaseSpec {
  loadDevices: ReadonlyArray<{ deviceId: string }>;
  samples: number;
  durationS: number;
  /** Desaturating devices (none: no alert probe, no console). */
  alertDevices: ReadonlyArray<{ deviceId: string; patientId: string }>;
  /** Devices watched for the store latency (0: no poller). */
  latencyDevices: number;
}

export async function runLoadPhase(args: {
  options: BenchOptions;
  phase: PhaseSpec;
  brokerUrl: string;
  brokerPid: number | undefined;
  databaseUrl: string;
  ingest: BackendProcess[];
  backends: BackendProcess[];
  api: BackendProcess;
  nurseToken: string;
  consoleExpected: boolean;
  /** The rules are in this build: desaturations must raise alerts. */
  rulesExpected: boolean;
  log: (m: string) => void;
}): Promise<LoadPhaseResult> {
  const { options, phase, log } = args;
  const durationMs = phase.durationS * 1000;
  // The ingest counters; a failed scrape (process busy) returns the last value seen.
  let lastStored = 0;
  const storedNow = async () => {
    try {
      lastStored = (await Promise.all(args.ingest.map((b) => scrapeMetric(b, STORED_SERIES)))).reduce((a, b) => a + b, 0);
    } catch {
      /* keep the last value */
    }
    return lastStored;
  };

  const probe = new AlertProbe(phase.alertDevices, args.brokerUrl);
  if (phase.alertDevices.length > 0) {
    await probe.connect(args.api.url, args.nurseToken, args.databaseUrl, args.consoleExpected);
    log(`alerts observed via ${probe.channel === 'console' ? 'the nurse console (socket.io /console)' : 'the alerts table (console gateway not in this build)'}`);
  }

  const step = Math.max(1, Math.floor(phase.loadDevices.length / Math.max(1, phase.latencyDevices)));
  const watched = phase.loadDevices.filter((_, i) => i % step === 0).slice(0, phase.latencyDevices).map((d) => d.deviceId);
  const poller = new StoreLatencyPoller(args.databaseUrl, watched);
  if (watched.length > 0) await poller.start();

  // The desaturating oximeters upload on a clock of their own, from 2 h ago (1 Hz samples, 20 per message).
  const alertFirstSampleAt = Math.floor((Date.now() - 2 * 3_600_000) / 1000) * 1000;

  const cpu = new CpuAccounting(args.databaseUrl, () => ({
    ...Object.fromEntries(args.backends.map((b) => [b.name, b.proc.pid])),
    broker: args.brokerPid,
  }));
  const cpuBefore = await cpu.snapshot();
  const base = await storedNow();
  const timeline: Array<[number, number]> = [];
  let loadStartedAt = 0;
  const heapUsedMb: Record<string, number> = {};
  const sampler = setInterval(() => {
    for (const b of args.backends) {
      sampleRss(b);
      void scrapeMetric(b, HEAP_SERIES).then(
        (bytes) => (heapUsedMb[b.name] = Math.max(heapUsedMb[b.name] ?? 0, Math.round(bytes / 2 ** 20))),
        () => undefined,
      );
    }
    if (loadStartedAt === 0) return;
    void storedNow().then(
      (n) => timeline.push([Date.now() - loadStartedAt, n - base]),
      () => undefined,
    );
  }, 1000);

  const load = startLoad(
    {
      mqttUrl: args.brokerUrl,
      deviceIds: phase.loadDevices.map((d) => d.deviceId),
      watchedDeviceIds: watched,
      ratePerDevice: options.rate,
      samplesPerMessage: phase.samples,
      sampleIntervalMs: options.sampleIntervalMs,
      durationMs,
      maxInflightPerDevice: 100,
      drainTimeoutMs: 30_000,
      seed: 1,
    },
    (p) => {
      if (Math.round(p.elapsedMs / 1000) % 10 === 0) {
        const last = timeline[timeline.length - 1];
        log(`load ${Math.round(p.elapsedMs / 1000)} s: ${p.sentMessages} messages sent, ${p.ackedMessages} acknowledged by the broker, ${last ? last[1] : 0} readings stored`);
      }
    },
  );
  let summary: LoadSummary;
  try {
    const started = await load.started;
    loadStartedAt = started.startedAt;
    log(`load started: ${started.connected} devices connected`);
    // Desaturations from 3 s in to 12 s before the end (each takes ~7 s); without rules, no alert can come.
    if (phase.alertDevices.length > 0 && args.rulesExpected) probe.schedule(3000, Math.max(3000, durationMs - 12_000), alertFirstSampleAt);
    else if (phase.alertDevices.length > 0) log('alert rules not in this build: no desaturation, alert latency n/a');
    summary = await load.done;
  } catch (err) {
    clearInterval(sampler);
    await load.stop();
    await probe.close();
    await poller.stop();
    throw err;
  }
  loadStartedAt = summary.startedAt;
  const loadEndedAt = loadStartedAt + summary.durationMs;
  // Drain (the broker holds what the backend has not consumed yet) while the last desaturations finish.
  const settled = probe.settle(args.rulesExpected && phase.alertDevices.length > 0 ? 30_000 : 0);
  let allStoredAt: number | null = null;
  let stored: number;
  const drainUntil = Date.now() + options.drainTimeoutS * 1000;
  for (;;) {
    stored = (await storedNow()) - base;
    const expected = summary.sentReadings + probe.readingsSent;
    if (stored >= expected && probe.finishedSending) {
      allStoredAt = Date.now();
      break;
    }
    if (Date.now() > drainUntil) {
      log(`drain timeout: ${stored} of ${expected} readings stored after ${options.drainTimeoutS} s`);
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const cpuAfter = await cpu.snapshot();
  await settled;
  const alertReadingsSent = probe.readingsSent;
  timeline.push([Date.now() - loadStartedAt, stored]);
  clearInterval(sampler);
  for (const b of args.backends) sampleRss(b);
  const observations = await poller.stop();
  await probe.close();
  await load.stop();
  return {
    summary,
    loadStartedAt,
    loadEndedAt,
    allStoredAt,
    storedByCounter: stored,
    timeline,
    marks: load.marks,
    observations,
    storePolls: poller.polls,
    probe,
    alertReadingsSent,
    cpuSeconds: cpuBetween(cpuBefore, cpuAfter),
    heapUsedMb,
  };
}

/** Stored rows of the run's devices, and rows stored twice (the primary key makes it 0; checked anyway). */
export async function countStored(databaseUrl: string, deviceIds: string[]): Promise<{ rows: number; distinctKeys: number }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ rows: number; keys: number }>(
      `SELECT count(*)::int AS rows, count(DISTINCT (device_id, metric, time))::int AS keys FROM readings WHERE device_id = ANY($1::text[])`,
      [deviceIds],
    );
    return { rows: rows[0]!.rows, distinctKeys: rows[0]!.keys };
  } finally {
    await client.end();
  }
}
