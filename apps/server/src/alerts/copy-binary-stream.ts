import type { Pool } from 'pg';
import copyStreams from 'pg-copy-streams';
import { CopyBinaryDecoder, type RowBatch } from './copy-binary-decoder.js';

/** Bytes a COPY stream buffers before it stops reading the socket (and PostgreSQL waits). */
const COPY_HIGH_WATER_MARK = 1 << 20;

/**
 * Runs one `COPY (…) TO STDOUT (FORMAT binary)` on a connection of its own and yields its rows
 * as they arrive, decoded (CopyBinaryDecoder: time, `valueColumns` float8, ok). Memory is bounded
 * by the stream's buffer: when the consumer is slower, the socket is paused and the server waits.
 * The connection goes back to the pool when the copy ends, or is destroyed if it is abandoned
 * half way (a COPY cannot be interrupted and the connection reused).
 */
export async function* copyBinaryBatches(pool: Pool, copySql: string, valueColumns: number): AsyncGenerator<RowBatch> {
  const client = await pool.connect();
  let finished = false;
  let failed: Error | undefined;
  try {
    const stream = client.query(copyStreams.to(copySql, { highWaterMark: COPY_HIGH_WATER_MARK }));
    const decoder = new CopyBinaryDecoder(valueColumns);
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const batch = decoder.push(chunk);
      if (batch.length > 0) yield batch;
    }
    if (!decoder.done) throw new Error('COPY stream ended before its trailer');
    finished = true;
  } catch (err) {
    failed = err as Error;
    throw err;
  } finally {
    client.release(finished ? undefined : (failed ?? true));
  }
}
