import { backoff } from '../common/backoff.js';
import type { CommitResult } from './reading.repository.js';
import type { IngestBatch } from './ingest-batch.js';
import type { InflightMessage } from './inflight-message.js';

export interface BatcherOptions {
  /** Seal the open batch when it holds this many entries (rows + sessions + dead letters + statuses). */
  maxRows: number;
  /** ... or when its first entry is this old and a writer is free. */
  maxDelayMs: number;
  /** Batches committed at the same time (one database connection each). */
  writers: number;
  /** Retry back-off after a failed commit: initial, doubled each time up to max. */
  retryInitialMs: number;
  retryMaxMs: number;
}

/** What the batcher needs from the rest of ingestion. */
export interface BatchSink {
  newBatch(): IngestBatch;
  commit(batch: IngestBatch): Promise<CommitResult>;
  /** True when retrying the same batch cannot help (bad data): it is split per message. */
  isDataError(err: unknown): boolean;
  /** The batch one message alone would make (a retry message by message). */
  rebuild(message: InflightMessage): IngestBatch;
  /** A batch that records `message` as a dead letter instead of storing it (marked `lastResort`). */
  unstorable(message: InflightMessage, err: unknown): IngestBatch;
  /** Not even the dead letter could be written: give the message up (acknowledge it) loudly. */
  abandon(message: InflightMessage, err: unknown): void;
  /** A (sub-)batch is committed: acknowledge its messages. Called in commit order. */
  committed(batch: IngestBatch, result: CommitResult, commitMs: number): void;
  /** A sealed batch is fully committed (with all its sub-batches). Called once per seq. */
  finished(batch: IngestBatch): void;
  /** A commit failed: retried after `delayMs`, or (null) split message by message for bad data. */
  failed(err: unknown, attempt: number, delayMs: number | null): void;
}

/**
 * Collects the messages' rows into one open batch and commits sealed batches on a fixed number
 * of writers. A batch is sealed when it reaches `maxRows`, or when it has waited `maxDelayMs`
 * and a writer is free: under load batches grow towards `maxRows` by themselves, at low load
 * latency stays below `maxDelayMs` plus one commit.
 *
 * A failed commit is retried with back-off for as long as it takes (a database outage pauses
 * acknowledgements; nothing is dropped). A batch refused for its data is split message by
 * message; a message that still fails is recorded as a dead letter.
 */
export class ReadingBatcher {
  private open: IngestBatch;
  private readonly sealed: IngestBatch[] = [];
  private busy = 0;
  private timer: NodeJS.Timeout | undefined;
  private due = false;
  private nextSeq = 1;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly options: BatcherOptions,
    private readonly sink: BatchSink,
  ) {
    this.open = sink.newBatch();
  }

  /** The batch new entries go into; call `added()` after adding. */
  get current(): IngestBatch {
    return this.open;
  }

  /** Sealed batches waiting for a writer, plus those being written. */
  get pendingBatches(): number {
    return this.sealed.length + this.busy;
  }

  added(): void {
    if (this.open.size >= this.options.maxRows) {
      this.seal();
    } else if (!this.timer && !this.due) {
      this.timer = setTimeout(() => this.onTimer(), this.options.maxDelayMs);
    }
  }

  /** Seals what is open and resolves when every sealed batch is committed, or after timeoutMs. */
  async drain(timeoutMs: number): Promise<boolean> {
    if (!this.open.isEmpty) this.seal();
    if (this.busy === 0 && this.sealed.length === 0) return true;
    let timeout: NodeJS.Timeout | undefined;
    const idle = new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true)));
    const late = new Promise<boolean>((resolve) => (timeout = setTimeout(() => resolve(false), timeoutMs)));
    const result = await Promise.race([idle, late]);
    clearTimeout(timeout);
    return result;
  }

  /** Stops retrying (shutdown): what is not committed is not acknowledged, the broker keeps it. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private onTimer(): void {
    this.timer = undefined;
    if (this.open.isEmpty) return;
    if (this.busy < this.options.writers) this.seal();
    else this.due = true;
  }

  private seal(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.due = false;
    const batch = this.open;
    batch.seq = this.nextSeq++;
    this.open = this.sink.newBatch();
    this.sealed.push(batch);
    this.pump();
  }

  private pump(): void {
    while (this.busy < this.options.writers && this.sealed.length > 0 && !this.stopped) {
      const batch = this.sealed.shift()!;
      this.busy++;
      void this.write(batch).finally(() => {
        this.busy--;
        if (this.due && !this.open.isEmpty) this.seal();
        else this.pump();
        if (this.busy === 0 && this.sealed.length === 0) {
          for (const wake of this.idleWaiters.splice(0)) wake();
        }
      });
    }
  }

  private async write(batch: IngestBatch): Promise<void> {
    if (await this.commitWithRetry(batch)) {
      this.sink.finished(batch);
    }
  }

  /** true once committed (as a whole or message by message), false if stopped first. */
  private async commitWithRetry(batch: IngestBatch): Promise<boolean> {
    for (let attempt = 1; !this.stopped; attempt++) {
      const started = performance.now();
      try {
        const result = await this.sink.commit(batch);
        this.sink.committed(batch, result, performance.now() - started);
        return true;
      } catch (err) {
        if (this.stopped) return false;
        if (this.sink.isDataError(err)) {
          this.sink.failed(err, attempt, null);
          return this.commitOneByOne(batch, err);
        }
        const delay = backoff(attempt, this.options.retryInitialMs, this.options.retryMaxMs);
        this.sink.failed(err, attempt, delay);
        await sleep(delay);
      }
    }
    return false;
  }

  private async commitOneByOne(batch: IngestBatch, err: unknown): Promise<boolean> {
    if (batch.messages.length === 1) {
      if (batch.lastResort) {
        this.sink.abandon(batch.messages[0]!, err);
        return true;
      }
      const deadLetter = this.sink.unstorable(batch.messages[0]!, err);
      deadLetter.seq = batch.seq;
      return this.commitWithRetry(deadLetter);
    }
    for (const message of batch.messages) {
      const single = this.sink.rebuild(message);
      single.seq = batch.seq;
      if (!(await this.commitWithRetry(single))) return false;
    }
    return true;
  }
}

/** Unref'd: a retry pending at shutdown must not keep the process alive. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
