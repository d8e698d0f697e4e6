import type { PublishRecord } from './sim-device.js';

/** PUBACK latencies (ms): all of them for the summary, and the recent ones for the progress line. */
export class LatencyRecorder {
  private all = new Float64Array(1024);
  private n = 0;
  private recent: number[] = [];

  add(ms: number): void {
    if (this.n === this.all.length) {
      const bigger = new Float64Array(this.all.length * 2);
      bigger.set(this.all);
      this.all = bigger;
    }
    this.all[this.n++] = ms;
    this.recent.push(ms);
  }

  get count(): number {
    return this.n;
  }

  /** Percentiles over everything recorded (nearest rank). */
  summary(): LatencySummary {
    return summarize(this.all.subarray(0, this.n));
  }

  /** Percentiles since the previous call (for a live progress line). */
  takeRecent(): LatencySummary {
    const s = summarize(Float64Array.from(this.recent));
    this.recent = [];
    return s;
  }
}

export interface LatencySummary {
  count: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
}

function summarize(values: Float64Array): LatencySummary {
  if (values.length === 0) return { count: 0, p50: null, p90: null, p99: null, max: null, mean: null };
  const sorted = Float64Array.from(values).sort();
  const at = (p: number) => round2(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!);
  let sum = 0;
  for (const v of sorted) sum += v;
  return { count: sorted.length, p50: at(50), p90: at(90), p99: at(99), max: round2(sorted[sorted.length - 1]!), mean: round2(sum / sorted.length) };
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

/** Counters shared by all devices of a run. */
export class RunStats {
  sent = 0;
  acked = 0;
  failed = 0;
  samplesSent = 0;
  samplesAcked = 0;
  sessionsSent = 0;
  bytesSent = 0;
  readonly latency = new LatencyRecorder();

  onPublish(samples: number, sessions: number): void {
    this.sent++;
    this.samplesSent += samples;
    this.sessionsSent += sessions;
  }

  onRecord(r: PublishRecord): void {
    this.bytesSent += r.bytes;
    if (r.latencyMs === undefined) {
      this.failed++;
      return;
    }
    this.acked++;
    this.samplesAcked += r.samples;
    this.latency.add(r.latencyMs);
  }

  get pending(): number {
    return this.sent - this.acked - this.failed;
  }
}
