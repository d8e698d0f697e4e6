import { Injectable, Logger } from '@nestjs/common';
import { backoff } from '../common/backoff.js';
import { BatchAcknowledger } from './batch-acknowledger.js';
import type { IngestBatch } from './ingest-batch.js';
import { IngestMetrics } from './ingest.metrics.js';
import { MessageValidator } from './message-validator.js';
import { isDataError, ReadingRepository } from './reading.repository.js';

/** Retry back-off after a failed commit: initial, doubled each time up to max (with jitter). */
export const COMMIT_RETRY_INITIAL_MS = 200;
export const COMMIT_RETRY_MAX_MS = 5000;

/**
 * Step 4 of ingestion (docs/ingestion.md): commits one sealed batch, whatever it takes, and hands
 * every committed (sub-)batch on to the BatchAcknowledger.
 *
 * A failed commit is retried with back-off for as long as it takes (a database outage pauses
 * acknowledgements; nothing is dropped). A batch refused for its data (`isDataError`) is split
 * message by message; a message that still fails is recorded as a `store-failed` dead letter,
 * and one whose dead letter fails too is given up (acknowledged) loudly.
 */
@Injectable()
export class BatchCommitter {
  private readonly logger = new Logger('Ingest');
  private stopped = false;
  private outageSince: number | undefined;

  constructor(
    private readonly readings: ReadingRepository,
    private readonly validator: MessageValidator,
    private readonly acknowledger: BatchAcknowledger,
    private readonly metrics: IngestMetrics,
  ) {}

  /** Resolves once `batch` is committed (as a whole or message by message), or once stopped. Never rejects on a database error. */
  async commit(batch: IngestBatch): Promise<void> {
    if (await this.commitWithRetry(batch)) this.acknowledger.finished(batch);
  }

  /** Stops retrying (shutdown): what is not committed is not acknowledged, the broker keeps it. */
  stop(): void {
    this.stopped = true;
  }

  /** true once committed (as a whole or message by message), false if stopped first. */
  private async commitWithRetry(batch: IngestBatch): Promise<boolean> {
    for (let attempt = 1; !this.stopped; attempt++) {
      const started = performance.now();
      try {
        const result = await this.readings.commit(batch);
        // Acknowledge first: nothing else may delay the PUBACKs.
        this.acknowledger.committed(batch, result, performance.now() - started);
        this.resumed();
        return true;
      } catch (err) {
        if (this.stopped) return false;
        if (isDataError(err)) {
          this.failed(err, attempt, null);
          return this.commitOneByOne(batch, err);
        }
        const delay = backoff(attempt, COMMIT_RETRY_INITIAL_MS, COMMIT_RETRY_MAX_MS);
        this.failed(err, attempt, delay);
        await sleep(delay);
      }
    }
    return false;
  }

  private async commitOneByOne(batch: IngestBatch, err: unknown): Promise<boolean> {
    if (batch.messages.length === 1) {
      const message = batch.messages[0]!;
      if (batch.lastResort) {
        this.acknowledger.abandon(message, err);
        return true;
      }
      const code = (err as { code?: string }).code ?? 'unknown';
      this.logger.error(`device ${message.deviceId ?? '?'}: message refused by the database (SQLSTATE ${code}), kept as a dead letter`);
      const deadLetter = this.validator.unstorable(message, err);
      deadLetter.seq = batch.seq;
      return this.commitWithRetry(deadLetter);
    }
    for (const message of batch.messages) {
      const single = this.validator.rebuild(message);
      single.seq = batch.seq;
      if (!(await this.commitWithRetry(single))) return false;
    }
    return true;
  }

  /** A commit failed: retried after `delayMs`, or (null) split message by message for bad data. */
  private failed(err: unknown, attempt: number, delayMs: number | null): void {
    this.metrics.commitFailures.labels(delayMs === null ? 'split' : 'retried').inc();
    if (delayMs === null) {
      this.logger.warn(`batch refused for its data (${(err as Error).message}): retrying message by message`);
      return;
    }
    this.outageSince ??= Date.now();
    if (attempt === 1 || attempt % 20 === 0) {
      this.logger.warn(`batch commit failed (attempt ${attempt}, retrying in ${delayMs} ms, acknowledgements paused): ${(err as Error).message}`);
    }
  }

  private resumed(): void {
    if (this.outageSince === undefined) return;
    this.logger.log(`database writes resumed after ${Math.round((Date.now() - this.outageSince) / 1000)} s`);
    this.outageSince = undefined;
  }
}

/** Unref'd: a retry pending at shutdown must not keep the process alive. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
