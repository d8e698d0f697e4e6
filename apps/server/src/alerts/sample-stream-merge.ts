import type { SampleMetric } from '#domain';
import type { RuleSample } from '#rules';
import type { RowBatch } from './copy-binary-decoder.js';

/** The metrics the point rules read (the replay's samples carry only these). */
export type ReplayMetric = Extract<SampleMetric, 'spo2' | 'pulseRate' | 'o2Flow'>;

/** One ordered stream of rows: its value columns are these metrics, in this order. */
export interface SampleSource {
  metrics: readonly ReplayMetric[];
  batches: AsyncIterable<RowBatch>;
}

interface Head {
  metrics: readonly ReplayMetric[];
  it: AsyncIterator<RowBatch>;
  batch: RowBatch | null;
  i: number;
}

/**
 * Merges streams of rows, each ascending by time, into one sample per timestamp (every row of
 * every stream at that time — one stream may carry several metrics, one row each: their non-NULL
 * values, signal ok only if every row says so, as toRuleSamples groups stored samples) and hands
 * each to `onSample`, in time order. Times are cut to the millisecond (toMs). `onSample` gets the
 * same object every time, rewritten for each sample: it must not keep it (the rules do not).
 * Returns the number of samples.
 */
export async function mergeSampleStreams(sources: readonly SampleSource[], onSample: (s: RuleSample) => void): Promise<number> {
  const heads: Head[] = sources.map((s) => ({ metrics: s.metrics, it: s.batches[Symbol.asyncIterator](), batch: null, i: 0 }));
  const values: RuleSample['values'] = { spo2: undefined, pulseRate: undefined, o2Flow: undefined };
  const sample: RuleSample = { at: 0, values, signalOk: true };
  let count = 0;
  try {
    for (const h of heads) await refill(h);
    for (;;) {
      let t = Infinity;
      for (const h of heads) if (h.batch !== null) t = Math.min(t, toMs(h.batch.at[h.i]!));
      if (t === Infinity) return count;
      values.spo2 = undefined;
      values.pulseRate = undefined;
      values.o2Flow = undefined;
      let ok = true;
      for (const h of heads) {
        // Every row of this source at time t (one stream may carry several metrics, one row each).
        for (let b = h.batch; b !== null && toMs(b.at[h.i]!) === t; b = h.batch) {
          for (let c = 0; c < h.metrics.length; c++) {
            const v = b.values[c]![h.i]!;
            if (!Number.isNaN(v)) values[h.metrics[c]!] = v;
          }
          if (b.ok[h.i] !== 1) ok = false;
          if (++h.i >= b.length) await refill(h);
        }
      }
      sample.at = t;
      sample.signalOk = ok;
      onSample(sample);
      count++;
    }
  } finally {
    // Stops the sources still open (an error in onSample, or in another source).
    await Promise.all(heads.map((h) => (h.batch !== null ? h.it.return?.() : undefined)));
  }
}

/**
 * Epoch ms (float8, from a microsecond timestamp) to a whole millisecond, truncated as a JS Date
 * of the same stored time is (the live rules' samples); the 0.5 µs absorbs float8's rounding of
 * an exact millisecond (below 0.3 µs for today's epoch) so that it is not cut to the one before.
 */
export function toMs(epochMs: number): number {
  return Math.floor(epochMs + 0.0005);
}

/** Next non-empty batch of a stream, or null at its end. */
async function refill(h: Head): Promise<void> {
  h.i = 0;
  for (;;) {
    const r = await h.it.next();
    if (r.done) {
      h.batch = null;
      return;
    }
    if (r.value.length > 0) {
      h.batch = r.value;
      return;
    }
  }
}
