import { describe, expect, it } from '@jest/globals';
import type { RuleSample } from '#rules';
import type { RowBatch } from './copy-binary-decoder.js';
import { mergeSampleStreams, toMs, type ReplayMetric, type SampleSource } from './sample-stream-merge.js';

type Row = { at: number; values: (number | null)[]; ok: boolean };

/** Rows as batches of `size` (the cuts a COPY stream makes), NULL as NaN. */
function source(metrics: readonly ReplayMetric[], rows: readonly Row[], size: number): SampleSource & { closed: () => boolean } {
  let closed = false;
  async function* batches(): AsyncGenerator<RowBatch> {
    try {
      yield { length: 0, at: new Float64Array(0), values: metrics.map(() => new Float64Array(0)), ok: new Uint8Array(0) };
      for (let i = 0; i < rows.length; i += size) {
        const part = rows.slice(i, i + size);
        yield {
          length: part.length,
          at: Float64Array.from(part, (r) => r.at),
          values: metrics.map((_, c) => Float64Array.from(part, (r) => r.values[c] ?? NaN)),
          ok: Uint8Array.from(part, (r) => (r.ok ? 1 : 0)),
        };
      }
    } finally {
      closed = true;
    }
  }
  return { metrics, batches: batches(), closed: () => closed };
}

/** The samples the merge hands over, copied (it reuses one object), absent metrics left out. */
async function merged(sources: readonly SampleSource[]): Promise<{ count: number; samples: RuleSample[] }> {
  const samples: RuleSample[] = [];
  const count = await mergeSampleStreams(sources, (s) => {
    const values = Object.fromEntries(Object.entries(s.values).filter(([, v]) => v !== undefined));
    samples.push({ at: s.at, values, signalOk: s.signalOk });
  });
  return { count, samples };
}

// One stream as the replay's COPY sends it: one row per (metric, time), ascending by time.
const ROWS: Row[] = [
  { at: 1000.4, values: [95, null, null], ok: true },
  { at: 1000, values: [null, 80, null], ok: true },
  { at: 2000, values: [null, 81, null], ok: true },
  { at: 3000, values: [94, null, null], ok: true },
  { at: 3000, values: [null, 82, null], ok: false },
  { at: 3000, values: [null, null, 2], ok: true },
  { at: 4000, values: [93, null, null], ok: true },
];
const EXPECTED: RuleSample[] = [
  { at: 1000, values: { spo2: 95, pulseRate: 80 }, signalOk: true },
  { at: 2000, values: { pulseRate: 81 }, signalOk: true },
  { at: 3000, values: { spo2: 94, pulseRate: 82, o2Flow: 2 }, signalOk: false },
  { at: 4000, values: { spo2: 93 }, signalOk: true },
];
const METRICS: ReplayMetric[] = ['spo2', 'pulseRate', 'o2Flow'];

describe('mergeSampleStreams', () => {
  it('groups the rows of one timestamp (ms) into one sample: values of each, NULL absent, signal ok only if every row is', async () => {
    expect(await merged([source(METRICS, ROWS, 100)])).toEqual({ count: 4, samples: EXPECTED });
  });

  it('the same samples whatever the batch boundaries (a timestamp split across batches)', async () => {
    for (const size of [1, 2, 3, 4, 5, 6]) expect({ size, ...(await merged([source(METRICS, ROWS, size)])) }).toEqual({ size, count: 4, samples: EXPECTED });
  });

  it('merges several streams by time (one per metric), each of which may end first', async () => {
    const spo2 = ROWS.filter((r) => r.values[0] !== null).map((r) => ({ ...r, values: [r.values[0]!] }));
    const others = ROWS.filter((r) => r.values[0] === null).map((r) => ({ ...r, values: r.values.slice(1) }));
    for (const size of [1, 2, 5]) {
      const got = await merged([source(['spo2'], spo2, size), source(['pulseRate', 'o2Flow'], others, size)]);
      expect({ size, ...got }).toEqual({ size, count: 4, samples: EXPECTED });
    }
  });

  it('no rows: no sample; an error of the consumer stops the streams still open', async () => {
    expect(await merged([source(METRICS, [], 10)])).toEqual({ count: 0, samples: [] });
    const a = source(METRICS, ROWS, 1);
    await expect(
      mergeSampleStreams([a], () => {
        throw new Error('consumer failed');
      }),
    ).rejects.toThrow('consumer failed');
    expect(a.closed()).toBe(true);
  });
});

describe('toMs', () => {
  it('cuts to the millisecond as a Date does, whatever float8 did to an exact one', () => {
    expect(toMs(1_795_164_494_000.5)).toBe(1_795_164_494_000);
    expect(toMs(1_795_164_494_000.999)).toBe(1_795_164_494_000);
    expect(toMs(1_795_164_493_999.9998)).toBe(1_795_164_494_000);
    expect(toMs(1_795_164_494_001)).toBe(1_795_164_494_001);
  });
});
