import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { IngestBatch } from './ingest-batch.js';
import { InflightMessage } from './inflight-message.js';
import type { CommitResult } from './reading.repository.js';
import { ReadingBatcher, type BatchSink, type BatcherOptions } from './reading-batcher.js';

const device = { deviceId: 'OX-1', patientId: '00000000-0000-4000-8000-000000000001', kind: 'oximeter' as const, active: true };

interface Pending {
  batch: IngestBatch;
  resolve: (r: CommitResult) => void;
  reject: (err: unknown) => void;
}

/** A sink whose commits complete when the test says so. */
class FakeSink implements BatchSink {
  readonly pending: Pending[] = [];
  readonly committedSeqs: number[] = [];
  readonly finishedSeqs: number[] = [];
  readonly failures: (number | null)[] = [];
  readonly abandoned: InflightMessage[] = [];
  /** Messages whose data the "database" refuses. */
  readonly poison = new Set<InflightMessage>();
  auto: CommitResult | undefined;

  newBatch(): IngestBatch {
    return new IngestBatch();
  }
  commit(batch: IngestBatch): Promise<CommitResult> {
    if (batch.messages.some((m) => this.poison.has(m))) return Promise.reject(Object.assign(new Error('check'), { code: '23514' }));
    if (this.auto) return Promise.resolve(this.auto);
    return new Promise((resolve, reject) => this.pending.push({ batch, resolve, reject }));
  }
  isDataError(err: unknown): boolean {
    return (err as { code?: string }).code === '23514';
  }
  rebuild(message: InflightMessage): IngestBatch {
    const b = this.newBatch();
    b.addMessage(message);
    return b;
  }
  unstorable(message: InflightMessage): IngestBatch {
    this.poison.delete(message);
    const b = this.newBatch();
    b.lastResort = true;
    b.addMessage(message);
    b.addRejection(null, 't', 'store-failed', null, 0, null);
    return b;
  }
  abandon(message: InflightMessage): void {
    this.abandoned.push(message);
  }
  committed(batch: IngestBatch): void {
    this.committedSeqs.push(batch.seq);
  }
  finished(batch: IngestBatch): void {
    this.finishedSeqs.push(batch.seq);
  }
  failed(_err: unknown, _attempt: number, delayMs: number | null): void {
    this.failures.push(delayMs);
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

const options: BatcherOptions = { maxRows: 100, maxDelayMs: 20, writers: 2, retryInitialMs: 100, retryMaxMs: 1000 };
const ok: CommitResult = { insertedRows: 0, insertedSessions: 0 };

describe('ReadingBatcher', () => {
  let sink: FakeSink;
  beforeEach(() => {
    jest.useFakeTimers();
    sink = new FakeSink();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('seals a batch as soon as it reaches maxRows, without waiting for the delay', () => {
    const batcher = new ReadingBatcher(options, sink);
    add(batcher, 60);
    expect(sink.pending).toHaveLength(0);
    add(batcher, 50);
    expect(sink.pending).toHaveLength(1);
    expect(sink.pending[0]!.batch.rowCount).toBe(110);
    expect(batcher.current.isEmpty).toBe(true);
  });

  it('seals a small batch after maxDelayMs', async () => {
    const batcher = new ReadingBatcher(options, sink);
    add(batcher, 3);
    await jest.advanceTimersByTimeAsync(19);
    expect(sink.pending).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(sink.pending).toHaveLength(1);
    expect(sink.pending[0]!.batch.seq).toBe(1);
  });

  it('keeps filling the open batch while every writer is busy, and seals it when one frees', async () => {
    const batcher = new ReadingBatcher(options, sink);
    add(batcher, 100);
    add(batcher, 100);
    expect(sink.pending).toHaveLength(2);
    add(batcher, 5);
    await jest.advanceTimersByTimeAsync(50);
    add(batcher, 5);
    expect(sink.pending).toHaveLength(2); // both writers busy: the delay has passed, the batch grows
    sink.pending[0]!.resolve(ok);
    await jest.advanceTimersByTimeAsync(0);
    expect(sink.pending).toHaveLength(3);
    expect(sink.pending[2]!.batch.rowCount).toBe(10);
    expect(batcher.pendingBatches).toBe(2);
  });

  it('queues batches sealed by size while writers are busy and writes them in order', async () => {
    const batcher = new ReadingBatcher({ ...options, writers: 1 }, sink);
    add(batcher, 100);
    add(batcher, 100);
    add(batcher, 100);
    expect(sink.pending.map((p) => p.batch.seq)).toEqual([1]);
    expect(batcher.pendingBatches).toBe(3);
    sink.pending[0]!.resolve(ok);
    await jest.advanceTimersByTimeAsync(0);
    sink.pending[1]!.resolve(ok);
    await jest.advanceTimersByTimeAsync(0);
    expect(sink.pending.map((p) => p.batch.seq)).toEqual([1, 2, 3]);
    expect(sink.finishedSeqs).toEqual([1, 2]);
  });

  it('retries a failed commit with back-off until it succeeds, and only then reports it committed', async () => {
    const batcher = new ReadingBatcher(options, sink);
    add(batcher, 100);
    sink.pending[0]!.reject(Object.assign(new Error('terminating connection'), { code: '57P01' }));
    await jest.advanceTimersByTimeAsync(0);
    expect(sink.committedSeqs).toEqual([]);
    expect(sink.failures).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(sink.failures[0]!);
    expect(sink.pending).toHaveLength(2);
    expect(sink.pending[1]!.batch).toBe(sink.pending[0]!.batch);
    sink.pending[1]!.resolve(ok);
    await jest.advanceTimersByTimeAsync(0);
    expect(sink.committedSeqs).toEqual([1]);
    expect(sink.finishedSeqs).toEqual([1]);
  });

  it('splits a batch refused for its data and records the responsible message as a dead letter', async () => {
    sink.auto = ok;
    const batcher = new ReadingBatcher(options, sink);
    add(batcher, 10);
    const bad = add(batcher, 10);
    add(batcher, 10);
    sink.poison.add(bad);
    await jest.advanceTimersByTimeAsync(20);
    // The batch, then the bad message's own batch, are refused for their data.
    expect(sink.failures).toEqual([null, null]);
    // Three single-message batches under the parent's seq, then the parent is finished once.
    expect(sink.committedSeqs).toEqual([1, 1, 1]);
    expect(sink.finishedSeqs).toEqual([1]);
    expect(sink.abandoned).toEqual([]);
  });

  it('gives a message up (abandon) only when even its dead letter is refused', async () => {
    sink.auto = ok;
    sink.unstorable = (m: InflightMessage) => {
      const b = sink.newBatch();
      b.lastResort = true;
      b.addMessage(m);
      return b; // still poisoned
    };
    const batcher = new ReadingBatcher(options, sink);
    const bad = add(batcher, 10);
    sink.poison.add(bad);
    await jest.advanceTimersByTimeAsync(20);
    expect(sink.abandoned).toEqual([bad]);
    expect(sink.finishedSeqs).toEqual([1]);
  });

  it('drain() seals what is open and resolves once everything is committed', async () => {
    const batcher = new ReadingBatcher(options, sink);
    add(batcher, 5);
    const drained = batcher.drain(1000);
    expect(sink.pending).toHaveLength(1);
    sink.pending[0]!.resolve(ok);
    await expect(drained).resolves.toBe(true);
  });

  it('drain() gives up after its timeout while the database is away', async () => {
    const batcher = new ReadingBatcher(options, sink);
    add(batcher, 5);
    const drained = batcher.drain(500);
    await jest.advanceTimersByTimeAsync(500);
    await expect(drained).resolves.toBe(false);
    batcher.stop();
  });
});
