/**
 * Decoder of PostgreSQL's binary COPY format (COPY … TO STDOUT (FORMAT binary)) for the rows the
 * what-if replay reads: `time` (float8, epoch ms), then `valueColumns` float8 columns (NULL
 * allowed), then `ok` (bool). Pure (no I/O): the stream is pushed to it buffer after buffer, cut
 * anywhere, and each push returns the complete rows it held, column by column in typed arrays, so
 * that a month of 1 Hz samples is decoded without one object per row.
 *
 * Format: 11-byte signature, int32 flags, int32 header-extension length (+ extension); then per row
 * int16 field count and per field int32 length (-1: NULL) and the bytes; int16 -1 ends the data.
 */

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const HEADER_BYTES = SIGNATURE.length + 8;

/** Complete rows of one push, in stream order. `values[c][i]` is NaN where the column was NULL. */
export interface RowBatch {
  length: number;
  at: Float64Array;
  values: Float64Array[];
  ok: Uint8Array;
}

export class CopyFormatError extends Error {}

export class CopyBinaryDecoder {
  private pending: Buffer | null = null;
  private headerDone = false;
  private ended = false;
  private readonly fields: number;

  constructor(private readonly valueColumns: number) {
    this.fields = valueColumns + 2;
  }

  /** True once the trailer (end of data) was read. */
  get done(): boolean {
    return this.ended;
  }

  /** Decodes the complete rows of what was pushed so far; an incomplete row waits for the next push. */
  push(chunk: Buffer): RowBatch {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = null;
    let pos = 0;
    if (!this.headerDone) {
      if (buf.length < HEADER_BYTES) {
        this.pending = buf;
        return emptyBatch(this.valueColumns);
      }
      if (!buf.subarray(0, SIGNATURE.length).equals(SIGNATURE)) throw new CopyFormatError('not a binary COPY stream');
      const extension = buf.readInt32BE(SIGNATURE.length + 4);
      if (buf.length < HEADER_BYTES + extension) {
        this.pending = buf;
        return emptyBatch(this.valueColumns);
      }
      pos = HEADER_BYTES + extension;
      this.headerDone = true;
    }
    // A row is at least 2 + fields × 4 bytes (all NULL): an upper bound on the rows of this buffer.
    const capacity = Math.floor((buf.length - pos) / (2 + this.fields * 4)) + 1;
    const at = new Float64Array(capacity);
    const values: Float64Array[] = [];
    for (let c = 0; c < this.valueColumns; c++) values.push(new Float64Array(capacity));
    const ok = new Uint8Array(capacity);
    let n = 0;
    while (!this.ended) {
      if (pos + 2 > buf.length) break;
      const count = buf.readInt16BE(pos);
      if (count === -1) {
        this.ended = true;
        pos += 2;
        break;
      }
      if (count !== this.fields) throw new CopyFormatError(`expected ${this.fields} fields, got ${count}`);
      const end = this.rowEnd(buf, pos + 2);
      if (end < 0) break;
      let p = pos + 2;
      // time: never NULL in the replay's queries
      if (buf.readInt32BE(p) !== 8) throw new CopyFormatError('time must be a float8');
      at[n] = buf.readDoubleBE(p + 4);
      p += 12;
      for (let c = 0; c < this.valueColumns; c++) {
        const len = buf.readInt32BE(p);
        if (len === -1) {
          values[c]![n] = NaN;
          p += 4;
        } else if (len === 8) {
          values[c]![n] = buf.readDoubleBE(p + 4);
          p += 12;
        } else throw new CopyFormatError('values must be float8');
      }
      const okLen = buf.readInt32BE(p);
      ok[n] = okLen === 1 ? buf[p + 4]! : 0;
      n++;
      pos = end;
    }
    if (pos < buf.length && !this.ended) this.pending = Buffer.from(buf.subarray(pos));
    return { length: n, at, values, ok };
  }

  /** End of the row whose fields start at `p`, or -1 if the buffer does not hold all of it yet. */
  private rowEnd(buf: Buffer, p: number): number {
    for (let f = 0; f < this.fields; f++) {
      if (p + 4 > buf.length) return -1;
      const len = buf.readInt32BE(p);
      p += 4 + (len > 0 ? len : 0);
    }
    return p <= buf.length ? p : -1;
  }
}

function emptyBatch(valueColumns: number): RowBatch {
  const none = new Float64Array(0);
  return { length: 0, at: none, values: Array.from({ length: valueColumns }, () => none), ok: new Uint8Array(0) };
}
