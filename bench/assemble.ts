import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { alertLatencies } from './alert-probe.js';
import { offeredReadingsPerSecond, type BenchOptions } from './bench-options.js';
import type { LoadPhaseResult } from './load-phase.js';
import type { CeilingResult } from './raw-ceiling.js';
import type { BenchResult, Machine } from './report.js';
import { distribution } from './stats.js';
import { storeLatencies } from './store-latency.js';
import type { TrendTiming } from './trend-query.js';

/** Readings committed per second from the first publish until everything sent was stored. */
export function sustainedRate(phase: LoadPhaseResult): number {
  const end = phase.allStoredAt ?? Date.now();
  return Math.round(phase.storedByCounter / ((end - phase.loadStartedAt) / 1000));
}

/**
 * Store rate while the load runs, after its first `skipMs` (the queues filling): the slope of the
 * ingest counter timeline. When the offered load exceeds what the product stores, this is its
 * capacity.
 */
export function loadWindowRate(phase: LoadPhaseResult, skipMs: number): number | null {
  const inside = phase.timeline.filter(([t]) => t >= skipMs && t <= phase.summary.durationMs);
  if (inside.length < 2) return null;
  const [t0, n0] = inside[0]!;
  const [t1, n1] = inside[inside.length - 1]!;
  return t1 > t0 ? Math.round(((n1 - n0) * 1000) / (t1 - t0)) : null;
}

/** Rates (readings/s) over every `windowMs` window of the timeline that lies inside the load. */
export function slidingRates(timeline: ReadonlyArray<[number, number]>, windowMs: number, untilMs: number): number[] {
  const inside = timeline.filter(([t]) => t <= untilMs + 500);
  const out: number[] = [];
  for (let i = 0; i < inside.length; i++) {
    const j = inside.findIndex(([t]) => t >= inside[i]![0] + windowMs);
    if (j < 0) break;
    out.push(((inside[j]![1] - inside[i]![1]) * 1000) / (inside[j]![0] - inside[i]![0]));
  }
  return out;
}

const perReading = (cpu: Record<string, number>, readings: number) =>
  Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, readings ? Math.round((v * 1e6 * 10) / readings) / 10 : null]));

export function assemble(a: {
  options: BenchOptions;
  sustained: LoadPhaseResult;
  capacity: LoadPhaseResult | null;
  stored: { rows: number; distinctKeys: number };
  trend: TrendTiming;
  ceiling: CeilingResult;
  peakRssMbByProcess: Record<string, number>;
  benchRssMb: number | null;
  ingestMetrics: string[];
  startedAt: Date;
  loadAverageAtStart: number[];
  db: { url: string; flavour: string };
  brokerUrl: string;
  alertDevices: Array<{ deviceId: string; patientId: string }>;
}): BenchResult {
  const { options, sustained, capacity } = a;
  const phases = capacity ? [sustained, capacity] : [sustained];
  const sent = phases.reduce((n, p) => n + p.summary.sentReadings + p.alertReadingsSent, 0);
  const lost = Math.max(0, sent - a.stored.rows);
  const duplicates = Math.max(0, a.stored.rows - sent) + (a.stored.rows - a.stored.distinctKeys);
  const readingsPerSecond = sustainedRate(sustained);
  const capacityRate = capacity ? loadWindowRate(capacity, 5000) : null;
  const capacityOffered = capacity ? Math.round(capacity.summary.sentReadings / (capacity.summary.durationMs / 1000)) : null;
  const best = Math.max(readingsPerSecond, capacityRate ?? 0);
  const store = storeLatencies(sustained.marks, sustained.observations);
  const storeDist = distribution(store.latencies);
  const alerts = alertLatencies(a.alertDevices, sustained.probe.published, sustained.probe.seen);
  const alertDist = distribution(alerts.latencies);
  const peakRssMb = Math.max(...Object.values(a.peakRssMbByProcess));
  const ratioToRaw = Math.round((best / a.ceiling.rowsPerSecond) * 100) / 100;
  const windows = slidingRates(sustained.timeline, 10_000, sustained.summary.durationMs);
  const console = sustained.probe.channel === 'console';
  const alertLabel = console ? 'alert latency' : 'alert latency to commit (console not available)';
  const targets: BenchResult['targets'] = [
    { name: 'readings stored per second', target: '>= 60,000', value: readingsPerSecond.toLocaleString('en-US'), pass: readingsPerSecond >= 60_000 },
    { name: 'ratio to the raw insert ceiling', target: '>= 0.5', value: String(ratioToRaw), pass: ratioToRaw >= 0.5 },
    { name: 'lost and duplicate readings', target: '0 and 0', value: `${lost} and ${duplicates}`, pass: lost === 0 && duplicates === 0 },
    {
      name: `${alertLabel} p99`,
      target: '< 500 ms',
      value: alertDist.p99 === null ? 'n/a' : `${alertDist.p99} ms`,
      pass: alertDist.p99 === null ? null : alertDist.p99 < 500 && alerts.missing.length === 0 && alerts.duplicates === 0,
    },
    { name: 'peak RSS of every backend process', target: '< 500 MB', value: `${peakRssMb} MB`, pass: peakRssMb < 500 },
    { name: 'trend query median', target: '< 100 ms', value: `${a.trend.medianMs} ms`, pass: a.trend.medianMs < 100 },
  ];
  const metric = (name: string) =>
    a.ingestMetrics.reduce((s, text) => s + Number(/^(\S+) (\S+)$/m.exec(text.split('\n').find((l) => l.startsWith(`${name} `)) ?? '')?.[2] ?? 0), 0);
  return {
    readingsPerSecond,
    lost,
    duplicates,
    storeLatencyP50Ms: storeDist.p50,
    storeLatencyP99Ms: storeDist.p99,
    alertLatencyP50Ms: alertDist.p50,
    alertLatencyP99Ms: alertDist.p99,
    peakRssMb,
    peakRssMbByProcess: a.peakRssMbByProcess,
    rawCeilingReadingsPerSecond: a.ceiling.rowsPerSecond,
    ratioToRaw,
    trendQueryMs: a.trend.medianMs,
    machine: machine(a.loadAverageAtStart, a.db.url, a.brokerUrl),
    method: {
      readingsPerSecond:
        'sustained phase: readings committed by the ingest process(es) (their tm_ingest_readings_stored_total) from the first publish until everything sent was stored, divided by that time',
      capacity: `capacity phase: ${options.capacityFactor}x the load from other devices; store rate over the load after its first 5 s (the product saturated when it is below the offered rate)`,
      ratioToRaw: 'the higher of the sustained rate and the capacity, divided by the raw ceiling',
      lost: 'readings in every message published (both phases, desaturations included) minus rows of the run devices in the readings table after the drain',
      duplicates: 'rows beyond the readings sent plus rows sharing a (device, metric, time) key',
      storeLatency: 'device publish (simulator clock) to the end of the first 20 ms poll that returns the message newest sample, on watched devices',
      alertLatency: console
        ? 'publish of the message holding the sample that completes spo2.critical (60 s at <= 83 %) to alert.raised received by a nurse console on socket.io /console'
        : 'console gateway not in this build: publish of the completing message to the alert row seen by a 20 ms poller (alert latency to commit)',
      peakRss: 'VmHWM of each backend process (/proc/<pid>/status) at the end of the run',
      rawCeiling:
        'plain INSERT ... SELECT unnest(...) ON CONFLICT DO NOTHING of rows shaped like the load into a scratch table with the readings primary key, 2 connections x 5000-row batches, backend stopped',
      trendQuery: `${a.trend.via === 'http' ? 'GET /api/patients/:id/trends?metric=spo2&bucket=1h over 30 days, as a nurse of the team' : 'the trends endpoint SQL on readings_hourly (endpoint not in this build)'}, median of ${a.trend.runs} after one warm-up`,
    },
    targets,
    smoke: options.durationS < 60,
    details: {
      options,
      offeredReadingsPerSecond: offeredReadingsPerSecond(options),
      loadWindowReadingsPerSecond: loadWindowRate(sustained, 0),
      slowest10sWindowReadingsPerSecond: windows.length ? Math.round(Math.min(...windows)) : null,
      drainSeconds: sustained.allStoredAt === null ? null : Math.round((sustained.allStoredAt - sustained.loadEndedAt) / 100) / 10,
      capacity: capacity
        ? {
            offeredReadingsPerSecond: capacityOffered,
            storedReadingsPerSecond: capacityRate,
            saturated: capacityRate !== null && capacityOffered !== null && capacityRate < 0.95 * capacityOffered,
            drainSeconds: capacity.allStoredAt === null ? null : Math.round((capacity.allStoredAt - capacity.loadEndedAt) / 100) / 10,
            cpuSeconds: capacity.cpuSeconds,
            cpuMicrosecondsPerReading: perReading(capacity.cpuSeconds, capacity.storedByCounter),
            load: capacity.summary,
            timeline: capacity.timeline,
          }
        : null,
      load: sustained.summary,
      cpuSeconds: sustained.cpuSeconds,
      cpuMicrosecondsPerReading: perReading(sustained.cpuSeconds, sustained.storedByCounter),
      peakHeapUsedMb: sustained.heapUsedMb,
      storedRows: a.stored.rows,
      sentReadings: sent,
      storeLatency: { ...storeDist, unseen: store.unseen, polls: sustained.storePolls },
      alertChannel: sustained.probe.channel,
      alerts: {
        ...alertDist,
        expected: a.alertDevices.length,
        missing: alerts.missing,
        duplicates: alerts.duplicates,
        unexpected: alerts.unexpected,
        errors: sustained.probe.errors,
      },
      trendVia: a.trend.via,
      trend: a.trend,
      ceiling: a.ceiling,
      benchProcessPeakRssMb: a.benchRssMb,
      ingestCounters: {
        readingsStored: metric('tm_ingest_readings_stored_total'),
        readingsDuplicateDeliveries: metric('tm_ingest_readings_duplicate_total'),
        messagesAbandoned: metric('tm_ingest_messages_abandoned_total'),
      },
      database: a.db.flavour,
      timeline: sustained.timeline,
    },
    startedAt: a.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
  };
}

function machine(loadAverageAtStart: number[], databaseUrl: string, brokerUrl: string): Machine {
  return {
    cores: cpus().length,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    memoryMb: Math.round(totalmem() / 2 ** 20),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    loadAverageAtStart: loadAverageAtStart.map((x) => Math.round(x * 100) / 100),
    loadAverageAtEnd: loadavg().map((x) => Math.round(x * 100) / 100),
    node: process.version,
    postgres: postgresVersion(databaseUrl),
    broker: brokerVersion(brokerUrl),
  };
}

function postgresVersion(url: string): string {
  try {
    return `PostgreSQL ${execFileSync('psql', [url, '-tAc', 'SHOW server_version'], { encoding: 'utf8', timeout: 5000 }).trim()}`;
  } catch {
    return 'PostgreSQL (version unknown)';
  }
}

function brokerVersion(url: string): string {
  if (process.env.MQTT_URL) return `broker ${url}`;
  try {
    return execFileSync('mosquitto', ['-h'], { encoding: 'utf8', timeout: 5000 }).split('\n')[0]!.trim();
  } catch (err) {
    // mosquitto -h exits non-zero after printing its version.
    const out = (err as { stdout?: string }).stdout ?? '';
    return out.split('\n')[0]?.trim() || 'mosquitto';
  }
}
