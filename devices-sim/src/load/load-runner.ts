import { setTimeout as sleep } from 'node:timers/promises';
import { MAX_SAMPLES_PER_MESSAGE } from '#protocol';
import { LatencyRecorder, type LatencySummary } from '../device/run-stats.js';
import { SimDevice, type PublishRecord } from '../device/sim-device.js';
import { compressedClockStart, compressedMessageEnd, LoadSampleSource } from './load-samples.js';

const MAX_BURST = 200;

export interface LoadOptions {
  mqttUrl: string;
  devices: Array<{ deviceId: string; secret?: string }>;
  /** Messages per second per device (default 1). */
  ratePerDevice?: number;
  /** Samples per message (default 5; at most MAX_SAMPLES_PER_MESSAGE). */
  samplesPerMessage?: number;
  /**
   * Spacing of a device's samples (ms). Default 1000 / (rate × samplesPerMessage): a device's
   * samples follow the wall clock and the newest one is the publish time. Set it (1000: a 1 Hz
   * oximeter) to keep a device's samples realistic at a high volume per connection: each device's
   * clock then starts in the past, far enough to stay behind the wall clock for the whole run, and
   * runs faster than real time (one connection carries what many real devices would), so the
   * rules and the hourly rollup see 1 Hz data. `markerAt` is then the newest sample's time, not
   * the publish time (records carry `publishedAt`).
   */
  sampleIntervalMs?: number;
  durationMs: number;
  /** A device with this many unacknowledged messages skips its turn (counted, default 100). */
  maxInflightPerDevice?: number;
  connectConcurrency?: number;
  /** How long to wait for outstanding PUBACKs after the duration (default 30 s). */
  drainTimeoutMs?: number;
  seed?: number;
  progressEveryMs?: number;
  onProgress?: (progress: LoadProgress) => void;
  /** Every publish with its PUBACK latency and marker time (the benchmark's raw data). */
  onRecord?: (record: LoadRecord) => void;
  signal?: AbortSignal;
  log?: (message: string) => void;
}

/** A publish in load mode: `markerAt` is the `at` (epoch ms) of the message's newest sample, equal to its publish time (unless `sampleIntervalMs` is set). */
export interface LoadRecord extends PublishRecord {
  markerAt: number;
}

export interface LoadProgress {
  elapsedMs: number;
  connected: number;
  sent: number;
  acknowledged: number;
  pending: number;
  messagesPerSec: number;
  samplesPerSec: number;
  /** PUBACK latency over the last interval. */
  ackLatencyMs: LatencySummary;
}

export interface LoadSummary {
  devices: number;
  connected: number;
  durationMs: number;
  sent: number;
  acknowledged: number;
  failed: number;
  unacknowledgedAtEnd: number;
  skippedForBackpressure: number;
  samplesSent: number;
  samplesAcknowledged: number;
  bytesSent: number;
  messagesPerSec: number;
  samplesPerSec: number;
  ackLatencyMs: LatencySummary;
  settings: { ratePerDevice: number; samplesPerMessage: number; maxInflightPerDevice: number; sampleIntervalMs: number };
  startedAt: string;
  endedAt: string;
  errors: string[];
}

/**
 * Load mode: N devices publishing at a fixed total rate (open loop, spread evenly and round
 * robin) for a duration, measuring PUBACK latency with the monotonic clock. A device with too
 * many unacknowledged messages skips its turn (counted), so a slow broker shows up as skips
 * rather than as an ever-growing queue inside the simulator.
 */
export async function runLoad(o: LoadOptions): Promise<LoadSummary> {
  const rate = o.ratePerDevice ?? 1;
  const k = Math.min(Math.max(1, Math.floor(o.samplesPerMessage ?? 5)), MAX_SAMPLES_PER_MESSAGE);
  const maxInflight = o.maxInflightPerDevice ?? 100;
  const stepMs = o.sampleIntervalMs ?? Math.max(1, Math.floor(1000 / (rate * k)));
  const clockStart = o.sampleIntervalMs === undefined ? undefined : compressedClockStart(Date.now(), o.durationMs, rate, k, stepMs);
  const latency = new LatencyRecorder();
  const errors: string[] = [];
  let acked = 0;
  let failed = 0;
  let samplesAcked = 0;
  let bytes = 0;
  const markers = new Map<string, number>();
  const devices = o.devices.map(
    (d) =>
      new SimDevice({
        mqttUrl: o.mqttUrl,
        deviceId: d.deviceId,
        secret: d.secret,
        log: o.log,
        onRecord: (r) => {
          bytes += r.bytes;
          if (r.latencyMs === undefined) failed++;
          else {
            acked++;
            samplesAcked += r.samples;
            latency.add(r.latencyMs);
          }
          const key = `${r.deviceId}#${r.seq}`;
          o.onRecord?.({ ...r, markerAt: markers.get(key) ?? 0 });
          markers.delete(key);
        },
      }),
  );
  const sources = o.devices.map((d) => new LoadSampleSource(o.seed ?? 1, d.deviceId));
  const seqs = new Array<number>(devices.length).fill(0);

  const live: number[] = [];
  const concurrency = o.connectConcurrency ?? 50;
  for (let i = 0; i < devices.length && !o.signal?.aborted; i += concurrency) {
    await Promise.all(
      devices.slice(i, i + concurrency).map(async (d, j) => {
        try {
          await d.connect();
          live.push(i + j);
        } catch (err) {
          errors.push((err as Error).message);
        }
      }),
    );
  }
  live.sort((a, b) => a - b);

  const startedAt = new Date();
  const t0 = performance.now();
  const totalRate = rate * live.length;
  let sent = 0;
  let samplesSent = 0;
  let skipped = 0;
  let turn = 0;
  let lastProgress = t0;
  let lastSent = 0;
  let lastSamples = 0;
  const progressEvery = o.progressEveryMs ?? 1000;
  while (live.length > 0 && !o.signal?.aborted) {
    const elapsed = performance.now() - t0;
    if (elapsed >= o.durationMs) break;
    const due = Math.floor((elapsed / 1000) * totalRate);
    // a bounded burst per turn of the event loop, so PUBACKs are read while publishing
    let burst = 0;
    while (sent + skipped < due && burst++ < MAX_BURST) {
      const i = live[turn++ % live.length]!;
      const device = devices[i]!;
      if (device.pendingCount >= maxInflight) {
        skipped++;
        continue;
      }
      const publishAt = clockStart === undefined ? Date.now() : compressedMessageEnd(clockStart, seqs[i]! + 1, k, stepMs);
      const { samples, markerAt } = sources[i]!.next(publishAt, k, stepMs);
      const seq = ++seqs[i]!;
      markers.set(`${device.deviceId}#${seq}`, markerAt);
      void device.publish({ v: 1, seq, samples }, { samples: k });
      sent++;
      samplesSent += k;
    }
    const now = performance.now();
    if (o.onProgress && now - lastProgress >= progressEvery) {
      const dt = (now - lastProgress) / 1000;
      o.onProgress({
        elapsedMs: now - t0,
        connected: live.length,
        sent,
        acknowledged: acked,
        pending: sent - acked - failed,
        messagesPerSec: (sent - lastSent) / dt,
        samplesPerSec: (samplesSent - lastSamples) / dt,
        ackLatencyMs: latency.takeRecent(),
      });
      lastProgress = now;
      lastSent = sent;
      lastSamples = samplesSent;
    }
    if (sent + skipped < due) await new Promise((r) => setImmediate(r));
    else await sleep(2);
  }
  const durationMs = performance.now() - t0;
  // wait for the last PUBACKs, then leave cleanly
  const drainUntil = performance.now() + (o.drainTimeoutMs ?? 30_000);
  while (sent - acked - failed > 0 && performance.now() < drainUntil) await sleep(20);
  const unacknowledged = sent - acked - failed;
  await Promise.all(devices.map((d) => d.close(0).catch(() => undefined)));
  const seconds = durationMs / 1000;
  return {
    devices: devices.length,
    connected: live.length,
    durationMs: Math.round(durationMs),
    sent,
    acknowledged: acked,
    failed,
    unacknowledgedAtEnd: unacknowledged,
    skippedForBackpressure: skipped,
    samplesSent,
    samplesAcknowledged: samplesAcked,
    bytesSent: bytes,
    messagesPerSec: Math.round((sent / seconds) * 10) / 10,
    samplesPerSec: Math.round((samplesSent / seconds) * 10) / 10,
    ackLatencyMs: latency.summary(),
    settings: { ratePerDevice: rate, samplesPerMessage: k, maxInflightPerDevice: maxInflight, sampleIntervalMs: stepMs },
    startedAt: startedAt.toISOString(),
    endedAt: new Date().toISOString(),
    errors,
  };
}

const fmt = (v: number | null) => (v === null ? '–' : `${v.toFixed(1)} ms`);
const int = (v: number) => Math.round(v).toLocaleString('en-US');

export function formatLoadProgress(p: LoadProgress): string {
  return (
    `[${(p.elapsedMs / 1000).toFixed(0).padStart(4)} s] ${int(p.messagesPerSec)} msg/s, ${int(p.samplesPerSec)} samples/s | ` +
    `sent ${int(p.sent)}, acked ${int(p.acknowledged)}, pending ${int(p.pending)} | ack p50 ${fmt(p.ackLatencyMs.p50)}, p99 ${fmt(p.ackLatencyMs.p99)}`
  );
}

export function formatLoadSummary(s: LoadSummary): string {
  return [
    `load: ${s.connected}/${s.devices} devices, ${(s.durationMs / 1000).toFixed(1)} s, ${s.settings.ratePerDevice} msg/s/device × ${s.settings.samplesPerMessage} samples`,
    `  sent          ${int(s.sent)} messages (${int(s.samplesSent)} samples, ${int(s.bytesSent)} bytes)`,
    `  acknowledged  ${int(s.acknowledged)}  failed ${int(s.failed)}  unacknowledged at end ${int(s.unacknowledgedAtEnd)}  skipped (backpressure) ${int(s.skippedForBackpressure)}`,
    `  throughput    ${int(s.messagesPerSec)} msg/s, ${int(s.samplesPerSec)} samples/s`,
    `  ack latency   p50 ${fmt(s.ackLatencyMs.p50)}  p90 ${fmt(s.ackLatencyMs.p90)}  p99 ${fmt(s.ackLatencyMs.p99)}  max ${fmt(s.ackLatencyMs.max)}`,
    ...s.errors.slice(0, 5).map((e) => `  error: ${e}`),
  ].join('\n');
}
