/**
 * Night oximetry indices computed from stored SpO2 samples (pure: samples in, numbers out).
 *
 * - mean / min: over the valid samples (callers pass only signal_ok samples).
 * - T90: share of the recording time with SpO2 strictly below 90 %. Each sample stands for the
 *   time until the next one; a gap longer than twice the typical (median) sampling interval is
 *   not recording time (the sample then counts for one typical interval), nor is time after the
 *   last sample beyond one typical interval. With a regular 1 Hz oximeter this is simply the share
 *   of samples below 90 %, and it stays right for slower or irregular devices.
 * - ODI 3 %: desaturations per recording hour. A desaturation starts when SpO2 falls at least 3
 *   points below the baseline (mean of the preceding 120 s of non-desaturated samples, once at
 *   least 60 s of history is there), lasts while it stays there (the baseline is frozen meanwhile),
 *   and counts when it lasted at least 10 s. A gap in the recording ends a desaturation and
 *   restarts the baseline.
 */
export interface TimedValue {
  /** Epoch milliseconds. */
  at: number;
  value: number;
}

export interface OximetryOptions {
  /** Desaturation depth, in SpO2 points below the baseline (3 for ODI 3 %, 4 for ODI 4 %). */
  dropPct: number;
  /** Baseline: mean of this much preceding, non-desaturated signal. */
  baselineWindowMs: number;
  /** No desaturation is detected before this much baseline history exists. */
  minBaselineMs: number;
  /** A desaturation shorter than this is not counted. */
  minEventMs: number;
  /** T90 threshold (strictly below). */
  hypoxaemiaThreshold: number;
}

export const ODI3_OPTIONS: Readonly<OximetryOptions> = {
  dropPct: 3,
  baselineWindowMs: 120_000,
  minBaselineMs: 60_000,
  minEventMs: 10_000,
  hypoxaemiaThreshold: 90,
};

export interface OximetrySummary {
  samples: number;
  /** Recording time in hours (see T90 above for what counts). */
  recordedHours: number;
  mean: number | null;
  min: number | null;
  /** % of recording time below 90 %. */
  t90Pct: number | null;
  /** Desaturations per recording hour. */
  odi: number | null;
  desaturations: number;
}

const EMPTY: OximetrySummary = { samples: 0, recordedHours: 0, mean: null, min: null, t90Pct: null, odi: null, desaturations: 0 };

/** Median interval between consecutive samples (ms); 1000 when there are fewer than two. */
export function typicalIntervalMs(samples: readonly TimedValue[]): number {
  if (samples.length < 2) return 1000;
  const gaps: number[] = [];
  for (let i = 1; i < samples.length; i++) gaps.push(samples[i]!.at - samples[i - 1]!.at);
  gaps.sort((a, b) => a - b);
  const mid = gaps.length >> 1;
  const median = gaps.length % 2 ? gaps[mid]! : (gaps[mid - 1]! + gaps[mid]!) / 2;
  return median > 0 ? median : 1000;
}

/** The time each sample stands for (ms), as explained in the file comment. */
export function sampleWeightsMs(samples: readonly TimedValue[], typicalMs = typicalIntervalMs(samples)): number[] {
  const weights: number[] = [];
  for (let i = 0; i < samples.length; i++) {
    const next = samples[i + 1];
    const gap = next ? next.at - samples[i]!.at : typicalMs;
    weights.push(gap <= 2 * typicalMs ? gap : typicalMs);
  }
  return weights;
}

/** Summarises one night of SpO2 samples, sorted by time. */
export function summarizeOximetry(samples: readonly TimedValue[], options: Readonly<OximetryOptions> = ODI3_OPTIONS): OximetrySummary {
  if (samples.length === 0) return { ...EMPTY };
  const typical = typicalIntervalMs(samples);
  const weights = sampleWeightsMs(samples, typical);
  let sum = 0;
  let min = Infinity;
  let totalMs = 0;
  let belowMs = 0;
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i]!.value;
    sum += v;
    if (v < min) min = v;
    totalMs += weights[i]!;
    if (v < options.hypoxaemiaThreshold) belowMs += weights[i]!;
  }
  const desaturations = countDesaturations(samples, options, typical);
  const recordedHours = totalMs / 3_600_000;
  return {
    samples: samples.length,
    recordedHours,
    mean: sum / samples.length,
    min,
    t90Pct: totalMs > 0 ? (100 * belowMs) / totalMs : null,
    odi: recordedHours > 0 ? desaturations / recordedHours : null,
    desaturations,
  };
}

/** Number of desaturations (see the file comment), samples sorted by time. */
export function countDesaturations(
  samples: readonly TimedValue[],
  options: Readonly<OximetryOptions> = ODI3_OPTIONS,
  typicalMs = typicalIntervalMs(samples),
): number {
  const maxGapMs = 2 * typicalMs;
  // Baseline window: non-desaturated samples of the last baselineWindowMs, with a running sum.
  const window: TimedValue[] = [];
  let head = 0;
  let windowSum = 0;
  let event: { baseline: number; startAt: number; lastBelowAt: number } | null = null;
  let count = 0;
  let previousAt: number | undefined;

  const closeEvent = () => {
    if (event && event.lastBelowAt - event.startAt + typicalMs >= options.minEventMs) count++;
    event = null;
  };
  const resetBaseline = () => {
    window.length = 0;
    head = 0;
    windowSum = 0;
  };

  for (const s of samples) {
    if (previousAt !== undefined && s.at - previousAt > maxGapMs) {
      closeEvent();
      resetBaseline();
    }
    previousAt = s.at;
    while (head < window.length && window[head]!.at <= s.at - options.baselineWindowMs) windowSum -= window[head++]!.value;

    if (event) {
      if (s.value <= event.baseline - options.dropPct) {
        event.lastBelowAt = s.at;
        continue;
      }
      closeEvent();
    } else if (head < window.length && s.at - window[head]!.at >= options.minBaselineMs) {
      const baseline = windowSum / (window.length - head);
      if (s.value <= baseline - options.dropPct) {
        event = { baseline, startAt: s.at, lastBelowAt: s.at };
        continue;
      }
    }
    window.push(s);
    windowSum += s.value;
  }
  closeEvent();
  return count;
}
