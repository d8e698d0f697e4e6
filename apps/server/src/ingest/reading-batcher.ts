import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { BatchCommitter } from './batch-committer.js';
import { IngestBatch } from './ingest-batch.js';

/**
 * Step 3 of ingestion (docs/ingestion.md): collects the messages' rows into one open batch and
 * hands sealed batches, in seal order (`seq`), to the BatchCommitter on a fixed number of writers.
 * A batch is sealed when it reaches `INGEST_BATCH_MAX_ROWS` entries, or when it has waited
 * `INGEST_BATCH_MAX_DELAY_MS` and a writer is free: under load batches grow towards the maximum
 * by themselves, at low load latency stays below the delay plus one commit. A writer is busy until
 * its batch is committed, however long the committer retries.
 */
@Injectable()
export class ReadingBatcher {
  private open: IngestBatch;
  private readonly sealed: IngestBatch[] = [];
  private busy = 0;
  private timer: NodeJS.Timeout | undefined;
  private due = false;
  private nextSeq = 1;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  private readonly maxRows: number;
  private readonly maxDelayMs: number;
  private readonly writers: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly committer: BatchCommitter,
  ) {
    this.maxRows = config.ingest.batchMaxRows;
    this.maxDelayMs = config.ingest.batchMaxDelayMs;
    this.writers = config.ingest.writers;
    this.open = new IngestBatch();
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
    if (this.open.size >= this.maxRows) {
      this.seal();
    } else if (!this.timer && !this.due) {
      this.timer = setTimeout(() => this.onTimer(), this.maxDelayMs);
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
    this.committer.stop();
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private onTimer(): void {
    this.timer = undefined;
    if (this.open.isEmpty) return;
    if (this.busy < this.writers) this.seal();
    else this.due = true;
  }

  private seal(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.due = false;
    const batch = this.open;
    batch.seq = this.nextSeq++;
    this.open = new IngestBatch();
    this.sealed.push(batch);
    this.pump();
  }

  private pump(): void {
    while (this.busy < this.writers && this.sealed.length > 0 && !this.stopped) {
      const batch = this.sealed.shift()!;
      this.busy++;
      void this.committer.commit(batch).finally(() => {
        this.busy--;
        if (this.due && !this.open.isEmpty) this.seal();
        else this.pump();
        if (this.busy === 0 && this.sealed.length === 0) {
          for (const wake of this.idleWaiters.splice(0)) wake();
        }
      });
    }
  }
}
