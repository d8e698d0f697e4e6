import type { SamplePayload } from '#protocol';
import { clamp, Rng } from '../generators/prng.js';

/**
 * A cheap oximeter for load mode: AR(1) SpO2 and pulse per device, a few operations per
 * sample so that the generator is never the bottleneck of a benchmark. Timestamps are
 * strictly increasing per device (no accidental duplicates), and the newest sample of each
 * message carries the publish time itself (the marker for store-latency measurement).
 */
export class LoadSampleSource {
  private readonly rng: Rng;
  private spo2 = 0;
  private pulse = 0;
  private lastAt = 0;

  constructor(seed: number, deviceId: string) {
    this.rng = Rng.derive(seed, 'load', deviceId);
    this.spo2 = this.rng.normal(0, 1);
    this.pulse = this.rng.normal(0, 4);
  }

  /** `count` samples ending at `publishAt`, spaced `stepMs` apart; returns them and the marker time. */
  next(publishAt: number, count: number, stepMs: number): { samples: SamplePayload[]; markerAt: number } {
    const samples: SamplePayload[] = [];
    let at = Math.max(publishAt - (count - 1) * stepMs, this.lastAt + 1);
    for (let i = 0; i < count; i++) {
      this.spo2 = 0.95 * this.spo2 + 0.31 * this.rng.normal();
      this.pulse = 0.95 * this.pulse + 1.25 * this.rng.normal();
      samples.push({
        at,
        spo2: clamp(Math.round(95 + this.spo2), 85, 100),
        pulseRate: clamp(Math.round(75 + this.pulse), 45, 140),
        perfusionIndex: Math.round(20 + 5 * this.rng.next()) / 10,
      });
      this.lastAt = at;
      at = i === count - 2 ? Math.max(publishAt, at + 1) : at + stepMs;
    }
    return { samples, markerAt: this.lastAt };
  }
}

/**
 * With a set sample spacing (LoadOptions.sampleIntervalMs), every device's clock starts this far
 * back from `nowMs`: the whole run's messages (plus one) fit before the wall clock, a minute early.
 */
export function compressedClockStart(nowMs: number, durationMs: number, ratePerDevice: number, samplesPerMessage: number, stepMs: number): number {
  return nowMs - (Math.ceil((durationMs / 1000) * ratePerDevice) + 1) * samplesPerMessage * stepMs - 60_000;
}

/** The time of the newest sample of a device's n-th message (1-based) on that clock: messages are contiguous. */
export function compressedMessageEnd(clockStart: number, n: number, samplesPerMessage: number, stepMs: number): number {
  return clockStart + n * samplesPerMessage * stepMs - stepMs;
}
