import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { loadConfig } from '../config/app-config.js';
import type { BatchCommitter } from './batch-committer.js';
import type { IngestBatch } from './ingest-batch.js';
import { InflightMessage } from './inflight-message.js';
import { ReadingBatcher } from './reading-batcher.js';

const device = { deviceId: 'OX-1', patientId: '00000000-0000-4000-8000-000000000001', kind: 'oximeter' as const, active: true };

interface Pending {
  batch: IngestBatch;
  resolve: () => void;
}

/** A committer whose commits complete when the test says so (retries and splits: batch-committer.spec.ts). */
class FakeCommitter {
  readonly pending: Pending[] = [];
  readonly finishedSeqs: number[] = [];
  stopped = false;
  commit(batch: IngestBatch): Promise<void> {
    return new Promise((resolve) =>
      this.pending.push({
        batch,
        resolve: () => {
          this.finishedSeqs.push(batch.seq);
          resolve();
        },
      }),
    );
  }
  stop(): void {
    this.stopped = true;
  }
}

function message(): InflightMessage {
  return new InflightMessage(null, 0, 1, 'tm/v1/devices/OX-1/readings', Buffer.from('{}'), 0, 0, 10);
}

/** Adds one message with `rows` single-metric samples to the open batch. */
function add(batcher: ReadingBatcher, rows: number): InflightMessage {
  const m = message();
  const batch = batcher.current;
  batch.addMessage(m);
  batch.addSamples(device, Array.from({ length: rows }, (_, i) => ({ at: 1_000 + i, values: { spo2: 95 }, signalOk: true })), 0);
  batcher.added();
  return m;
}

const env = { JWT_SECRET: 'unit-secret-0123456789abcdef0123456789', INGEST_BATCH_MAX_ROWS: '100', INGEST_BATCH_MAX_DELAY_MS: '20' };

function batcherWith(committer: FakeCommitter, writers = 2): ReadingBatcher {
  return new ReadingBatcher(loadConfig({ ...env, INGEST_WRITERS: String(writers) }), committer as unknown as BatchCommitter);
}

describe('ReadingBatcher', () => {
  let committer: FakeCommitter;
  beforeEach(() => {
    jest.useFakeTimers();
    committer = new FakeCommitter();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('seals a batch as soon as it reaches maxRows, without waiting for the delay', () => {
    const batcher = batcherWith(committer);
    add(batcher, 60);
    expect(committer.pending).toHaveLength(0);
    add(batcher, 50);
    expect(committer.pending).toHaveLength(1);
    expect(committer.pending[0]!.batch.rowCount).toBe(110);
    expect(batcher.current.isEmpty).toBe(true);
  });

  it('seals a small batch after maxDelayMs', async () => {
    const batcher = batcherWith(committer);
    add(batcher, 3);
    await jest.advanceTimersByTimeAsync(19);
    expect(committer.pending).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(committer.pending).toHaveLength(1);
    expect(committer.pending[0]!.batch.seq).toBe(1);
  });

  it('keeps filling the open batch while every writer is busy, and seals it when one frees', async () => {
    const batcher = batcherWith(committer);
    add(batcher, 100);
    add(batcher, 100);
    expect(committer.pending).toHaveLength(2);
    add(batcher, 5);
    await jest.advanceTimersByTimeAsync(50);
    add(batcher, 5);
    expect(committer.pending).toHaveLength(2); // both writers busy: the delay has passed, the batch grows
    committer.pending[0]!.resolve();
    await jest.advanceTimersByTimeAsync(0);
    expect(committer.pending).toHaveLength(3);
    expect(committer.pending[2]!.batch.rowCount).toBe(10);
    expect(batcher.pendingBatches).toBe(2);
  });

  it('queues batches sealed by size while writers are busy and writes them in order', async () => {
    const batcher = batcherWith(committer, 1);
    add(batcher, 100);
    add(batcher, 100);
    add(batcher, 100);
    expect(committer.pending.map((p) => p.batch.seq)).toEqual([1]);
    expect(batcher.pendingBatches).toBe(3);
    committer.pending[0]!.resolve();
    await jest.advanceTimersByTimeAsync(0);
    committer.pending[1]!.resolve();
    await jest.advanceTimersByTimeAsync(0);
    expect(committer.pending.map((p) => p.batch.seq)).toEqual([1, 2, 3]);
    expect(committer.finishedSeqs).toEqual([1, 2]);
  });

  it('drain() seals what is open and resolves once everything is committed', async () => {
    const batcher = batcherWith(committer);
    add(batcher, 5);
    const drained = batcher.drain(1000);
    expect(committer.pending).toHaveLength(1);
    committer.pending[0]!.resolve();
    await expect(drained).resolves.toBe(true);
  });

  it('drain() gives up after its timeout while the database is away', async () => {
    const batcher = batcherWith(committer);
    add(batcher, 5);
    const drained = batcher.drain(500);
    await jest.advanceTimersByTimeAsync(500);
    await expect(drained).resolves.toBe(false);
    batcher.stop();
  });

  it('stop() (shutdown) stops the committer and hands it no further sealed batch', async () => {
    const batcher = batcherWith(committer, 1);
    add(batcher, 100);
    add(batcher, 100);
    batcher.stop();
    expect(committer.stopped).toBe(true);
    committer.pending[0]!.resolve();
    await jest.advanceTimersByTimeAsync(0);
    expect(committer.pending.map((p) => p.batch.seq)).toEqual([1]);
  });
});
