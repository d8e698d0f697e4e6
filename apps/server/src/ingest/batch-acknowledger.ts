import { Injectable, Logger } from '@nestjs/common';
import type { InflightMessage } from './inflight-message.js';
import type { IngestBatch } from './ingest-batch.js';
import { IngestMetrics } from './ingest.metrics.js';
import { LastSeenTracker } from './last-seen-tracker.js';
import type { CommitResult } from './reading.repository.js';
import { RulesHandover } from './rules-handover.js';

/**
 * Step 5 of ingestion (docs/ingestion.md): a committed batch is acknowledged. Sends the PUBACK of
 * each of its messages (through the connection it came from, in receive order), then counts the
 * commit in the metrics, notes the devices' last-seen times and passes the batch on to the
 * RulesHandover. Nothing runs before the PUBACKs.
 */
@Injectable()
export class BatchAcknowledger {
  private readonly logger = new Logger('Ingest');

  constructor(
    private readonly metrics: IngestMetrics,
    private readonly lastSeen: LastSeenTracker,
    private readonly handover: RulesHandover,
  ) {}

  /** A (sub-)batch is committed. Called in commit order, possibly several times per seq (a split batch). */
  committed(batch: IngestBatch, result: CommitResult, commitMs: number): void {
    for (const message of batch.messages) message.ackTarget?.settle(message);
    const m = this.metrics;
    m.commitSeconds.observe(commitMs / 1000);
    m.batchRows.observe(batch.rowCount);
    m.samplesAccepted.inc(batch.acceptedSamples);
    m.readingsInserted.inc(result.insertedRows);
    m.readingsDuplicate.inc(batch.rowCount - result.insertedRows);
    m.sessionsInserted.inc(result.insertedSessions);
    for (const [reason, n] of batch.rejectionCounts) m.rejected(reason, n);
    this.lastSeen.note(batch.lastSeen);
    this.handover.collect(batch);
  }

  /** A sealed batch is fully committed (with all its sub-batches). Called once per seq. */
  finished(batch: IngestBatch): void {
    this.handover.finish(batch);
  }

  /** Not even the message's dead letter could be written: give it up (acknowledge it) loudly. */
  abandon(message: InflightMessage, err: unknown): void {
    this.metrics.abandoned.inc();
    this.logger.error(`device ${message.deviceId ?? '?'}: neither the message nor its dead letter could be stored, acknowledging it: ${(err as Error).message}`);
    message.ackTarget?.settle(message);
  }
}
