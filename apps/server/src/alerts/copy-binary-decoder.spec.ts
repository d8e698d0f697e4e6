import { describe, expect, it } from '@jest/globals';
import { CopyBinaryDecoder, CopyFormatError, type RowBatch } from './copy-binary-decoder.js';

/** The bytes PostgreSQL sends (rows: time float8, float8 values, ok bool; null: NULL) for `COPY … TO STDOUT (FORMAT binary)` of these rows. */
function copyBinary(rows: readonly { at: number; values: (number | null)[]; ok: boolean | null }[], extension = 0): Buffer {
  const parts: Buffer[] = [Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1')];
  const head = Buffer.alloc(8 + extension);
  head.writeInt32BE(0, 0);
  head.writeInt32BE(extension, 4);
  parts.push(head);
  const float = (v: number | null): Buffer => {
    if (v === null) return int32(-1);
    const b = Buffer.alloc(12);
    b.writeInt32BE(8, 0);
    b.writeDoubleBE(v, 4);
    return b;
  };
  for (const r of rows) {
    const count = Buffer.alloc(2);
    count.writeInt16BE(r.values.length + 2, 0);
    parts.push(count, float(r.at), ...r.values.map(float));
    parts.push(r.ok === null ? int32(-1) : Buffer.concat([int32(1), Buffer.from([r.ok ? 1 : 0])]));
  }
  const trailer = Buffer.alloc(2);
  trailer.writeInt16BE(-1, 0);
  parts.push(trailer);
  return Buffer.concat(parts);
}

function int32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v, 0);
  return b;
}

/** The rows of a batch as plain tuples (NULL as null), to compare. */
function tuples(b: RowBatch): { at: number; values: (number | null)[]; ok: boolean }[] {
  const out: { at: number; values: (number | null)[]; ok: boolean }[] = [];
  for (let i = 0; i < b.length; i++) out.push({ at: b.at[i]!, values: b.values.map((c) => (Number.isNaN(c[i]!) ? null : c[i]!)), ok: b.ok[i] === 1 });
  return out;
}

const ROWS = [
  { at: 1_764_000_000_000.25, values: [93, null, null], ok: true },
  { at: 1_764_000_000_000.25, values: [null, 81, null], ok: false },
  { at: 1_764_000_001_000, values: [null, null, 2.5], ok: true },
  { at: 1_764_000_002_000, values: [null, -0.5, null], ok: null },
];

describe('CopyBinaryDecoder', () => {
  it('decodes rows: times, values with NULL as NaN, signal_ok (NULL counts as not ok), and sees the trailer', () => {
    const d = new CopyBinaryDecoder(3);
    const b = d.push(copyBinary(ROWS));
    expect(d.done).toBe(true);
    expect(tuples(b)).toEqual(ROWS.map((r) => ({ ...r, ok: r.ok === true })));
  });

  it('gives the same rows whatever the cuts of the stream (every cut point, inside the header, a field or a length)', () => {
    const bytes = copyBinary(ROWS, 5);
    for (let cut = 1; cut < bytes.length; cut++) {
      const d = new CopyBinaryDecoder(3);
      const rows = [...tuples(d.push(bytes.subarray(0, cut))), ...tuples(d.push(bytes.subarray(cut)))];
      expect({ cut, rows }).toEqual({ cut, rows: ROWS.map((r) => ({ ...r, ok: r.ok === true })) });
      expect(d.done).toBe(true);
    }
  });

  it('byte by byte: no row before it is complete, not done before the trailer', () => {
    const bytes = copyBinary(ROWS.slice(0, 2));
    const d = new CopyBinaryDecoder(3);
    const seen: number[] = [];
    for (let i = 0; i < bytes.length; i++) {
      const n = d.push(bytes.subarray(i, i + 1)).length;
      if (n > 0) seen.push(i);
      if (i < bytes.length - 1) expect(d.done).toBe(false);
    }
    expect(seen).toHaveLength(2);
    expect(d.done).toBe(true);
  });

  it('rejects what is not a binary COPY of the expected columns', () => {
    expect(() => new CopyBinaryDecoder(3).push(Buffer.from('PGCOPY\nxxxxxxxxxxxxxxxx', 'latin1'))).toThrow(CopyFormatError);
    expect(() => new CopyBinaryDecoder(2).push(copyBinary(ROWS))).toThrow(/expected 4 fields, got 5/);
  });

  it('an empty result is the header and the trailer', () => {
    const d = new CopyBinaryDecoder(3);
    expect(d.push(copyBinary([])).length).toBe(0);
    expect(d.done).toBe(true);
  });
});
