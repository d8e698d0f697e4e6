import { afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Registry } from 'prom-client';
import type { BatchAcknowledger } from './batch-acknowledger.js';
import { BatchCommitter, COMMIT_RETRY_INITIAL_MS } from './batch-committer.js';
import { IngestBatch } from './ingest-batch.js';
import { InflightMessage } from './inflight-message.js';
import { IngestMetrics } from './ingest.metrics.js';
import type { MessageValidator } from './message-validator.js';
import type { CommitResult, ReadingRepository } from './reading.repository.js';

const device = { deviceId: 'OX-1', patientId: '00000000-0000-4000-8000-000000000001', kind: 'oximeter' as const, active: true };
const ok: CommitResult = { insertedRows: 0, insertedSessions: 0 };

interface Pending {
  batch: IngestBatch;
  resolve: (r: CommitResult) => void;
  reject: (err: unknown) => void;
}

/** A database whose commits complete when the test says so, and refuses the data of "poisoned" messages. */
class FakeReadings {
  readonly pending: Pending[] = [];
  readonly poison = new Set<InflightMessage>();
  /** The dead letters of poisoned messages are refused too. */
  refuseDeadLetters = false;
  auto: CommitResult | undefined;
  commit(batch: IngestBatch): Promise<CommitResult> {
    const poisoned = batch.messages.some((m) => this.poison.has(m)) && (!batch.lastResort || this.refuseDeadLetters);
    if (poisoned) return Promise.reject(Object.assign(new Error('check'), { code: '23514' }));
    if (this.auto) return Promise.resolve(this.auto);
    return new Promise((resolve, reject) => this.pending.push({ batch, resolve, reject }));
  }
}

/** What the committer hands on. */
class FakeAcknowledger {
  readonly committed: IngestBatch[] = [];
  readonly finishedSeqs: number[] = [];
  readonly abandoned: InflightMessage[] = [];
  get committedSeqs(): number[] {
    return this.committed.map((b) => b.seq);
  }
  committedBatch(batch: IngestBatch): void {
    this.committed.push(batch);
  }
  finished(batch: IngestBatch): void {
    this.finishedSeqs.push(batch.seq);
  }
  abandon(message: InflightMessage): void {
    this.abandoned.push(message);
  }
}

const tenRows = Array.from({ length: 10 }, (_, j) => ({ at: 1_000 + j, values: { spo2: 95 }, signalOk: true }));

/** The validator's two batch builders, as MessageValidator makes them (without parsing a payload: 10 rows per message). */
const validator = {
  rebuild(message: InflightMessage): IngestBatch {
    const b = new IngestBatch();
    b.addMessage(message);
    b.addSamples(device, tenRows, 0);
    return b;
  },
  unstorable(message: InflightMessage): IngestBatch {
    const b = new IngestBatch();
    b.lastResort = true;
    b.addMessage(message);
    b.addRejection(null, 't', 'store-failed', null, 0, null);
    return b;
  },
} as unknown as MessageValidator;

function setup() {
  const registry = new Registry();
  const readings = new FakeReadings();
  const acks = new FakeAcknowledger();
  const acknowledger = { committed: (b: IngestBatch) => acks.committedBatch(b), finished: (b: IngestBatch) => acks.finished(b), abandon: (m: InflightMessage) => acks.abandon(m) };
  const committer = new BatchCommitter(readings as unknown as ReadingRepository, validator, acknowledger as unknown as BatchAcknowledger, new IngestMetrics(registry));
  const failures = async (kind: 'retried' | 'split') =>
    Number((await registry.getSingleMetricAsString('tm_ingest_commit_failures_total')).split('\n').find((l) => l.includes(`kind="${kind}"`))?.split(' ')[1] ?? 0);
  return { readings, acks, committer, failures };
}

/** A sealed batch of `count` messages with 10 rows each. */
function sealed(seq: number, count: number): { batch: IngestBatch; messages: InflightMessage[] } {
  const batch = new IngestBatch();
  batch.seq = seq;
  const messages: InflightMessage[] = [];
  for (let i = 0; i < count; i++) {
    const m = new InflightMessage(null, 0, 1, 'tm/v1/devices/OX-1/readings', Buffer.from('{}'), 0, 0, 10);
    batch.addMessage(m);
    batch.addSamples(device, tenRows, 0);
    messages.push(m);
  }
  return { batch, messages };
}

describe('BatchCommitter', () => {
  beforeAll(() => Logger.overrideLogger(false));
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('retries a failed commit with back-off until it succeeds, and only then reports it committed', async () => {
    const { readings, acks, committer, failures } = setup();
    const { batch } = sealed(1, 1);
    const done = committer.commit(batch);
    await jest.advanceTimersByTimeAsync(0);
    readings.pending[0]!.reject(Object.assign(new Error('terminating connection'), { code: '57P01' }));
    await jest.advanceTimersByTimeAsync(0);
    expect(acks.committedSeqs).toEqual([]);
    expect(await failures('retried')).toBe(1);
    // Back-off: no retry before 80 % of the initial delay, one by 120 % (jitter).
    await jest.advanceTimersByTimeAsync(COMMIT_RETRY_INITIAL_MS * 0.8 - 1);
    expect(readings.pending).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(COMMIT_RETRY_INITIAL_MS * 0.4 + 1);
    expect(readings.pending).toHaveLength(2);
    expect(readings.pending[1]!.batch).toBe(readings.pending[0]!.batch);
    readings.pending[1]!.resolve(ok);
    await done;
    expect(acks.committedSeqs).toEqual([1]);
    expect(acks.finishedSeqs).toEqual([1]);
  });

  it('splits a batch refused for its data and records the responsible message as a dead letter', async () => {
    const { readings, acks, committer, failures } = setup();
    readings.auto = ok;
    const { batch, messages } = sealed(1, 3);
    const bad = messages[1]!;
    readings.poison.add(bad);
    await committer.commit(batch);
    // The batch, then the bad message's own batch, are refused for their data.
    expect(await failures('split')).toBe(2);
    expect(await failures('retried')).toBe(0);
    // Three single-message batches under the parent's seq, then the parent is finished once.
    expect(acks.committedSeqs).toEqual([1, 1, 1]);
    expect(acks.finishedSeqs).toEqual([1]);
    expect(acks.abandoned).toEqual([]);
    // The bad message is committed as its dead letter, the two others with their data.
    expect(acks.committed.map((b) => [b.messages[0], b.lastResort, b.rowCount])).toEqual([
      [messages[0], false, 10],
      [bad, true, 0],
      [messages[2], false, 10],
    ]);
  });

  it('gives a message up (abandon) only when even its dead letter is refused', async () => {
    const { readings, acks, committer } = setup();
    readings.auto = ok;
    readings.refuseDeadLetters = true;
    const { batch, messages } = sealed(1, 1);
    readings.poison.add(messages[0]!);
    await committer.commit(batch);
    expect(acks.abandoned).toEqual([messages[0]]);
    expect(acks.committedSeqs).toEqual([]);
    expect(acks.finishedSeqs).toEqual([1]);
  });

  it('stop() (shutdown) ends a retrying commit without reporting it committed: the broker keeps the messages', async () => {
    const { readings, acks, committer } = setup();
    const { batch } = sealed(1, 1);
    const done = committer.commit(batch);
    await jest.advanceTimersByTimeAsync(0);
    readings.pending[0]!.reject(Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' }));
    await jest.advanceTimersByTimeAsync(0);
    committer.stop();
    await jest.advanceTimersByTimeAsync(10_000);
    await done;
    expect(readings.pending).toHaveLength(1);
    expect(acks.committedSeqs).toEqual([]);
    expect(acks.finishedSeqs).toEqual([]);
  });
});
