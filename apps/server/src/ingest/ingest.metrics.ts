import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { REJECTION_REASONS, type RejectionReason } from '#protocol';

export type MessageChannel = 'readings' | 'status' | 'other';

/**
 * Ingestion metrics (docs/ingestion.md lists them). Label children are resolved once here so the
 * hot path never looks a label set up.
 */
export class IngestMetrics {
  private readonly received: Record<MessageChannel, Counter.Internal>;
  private readonly rejectionsByReason: Map<RejectionReason, Counter.Internal>;
  readonly samplesAccepted: Counter;
  readonly readingsInserted: Counter;
  readonly readingsDuplicate: Counter;
  readonly sessionsInserted: Counter;
  readonly batchRows: Histogram;
  readonly commitSeconds: Histogram;
  readonly ackSeconds: Histogram;
  readonly commitFailures: Counter<'kind'>;
  readonly abandoned: Counter;
  readonly inflightMessages: Gauge;
  readonly inflightBytes: Gauge;
  readonly inflightBytesMax: Gauge;
  readonly pausedConnections: Gauge;
  readonly connected: Gauge;
  readonly foreignShard: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    const messages = new Counter({
      name: 'tm_ingest_messages_received_total',
      help: 'MQTT messages received from devices, by channel',
      labelNames: ['channel'],
      registers,
    });
    this.received = { readings: messages.labels('readings'), status: messages.labels('status'), other: messages.labels('other') };
    const rejections = new Counter({
      name: 'tm_ingest_rejections_total',
      help: 'Rejected messages, samples and sessions (dead letters), by reason',
      labelNames: ['reason'],
      registers,
    });
    this.rejectionsByReason = new Map(REJECTION_REASONS.map((r) => [r, rejections.labels(r)]));
    this.samplesAccepted = new Counter({ name: 'tm_ingest_samples_accepted_total', help: 'Samples that passed validation, in committed batches', registers });
    this.readingsInserted = new Counter({ name: 'tm_ingest_readings_stored_total', help: 'Readings rows (one metric of one sample) inserted', registers });
    this.readingsDuplicate = new Counter({
      name: 'tm_ingest_readings_duplicate_total',
      help: 'Accepted readings rows already stored (redelivery or repeated upload): accepted minus inserted',
      registers,
    });
    this.sessionsInserted = new Counter({ name: 'tm_ingest_sessions_stored_total', help: 'Ventilation session summaries inserted', registers });
    this.batchRows = new Histogram({
      name: 'tm_ingest_batch_rows',
      help: 'Readings rows per committed batch',
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000],
      registers,
    });
    this.commitSeconds = new Histogram({
      name: 'tm_ingest_commit_seconds',
      help: 'Duration of one batch statement (insert, rollup, commit)',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.ackSeconds = new Histogram({
      name: 'tm_ingest_ack_seconds',
      help: 'From receiving a QoS 1 message to sending its PUBACK (after its commit)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.commitFailures = new Counter({
      name: 'tm_ingest_commit_failures_total',
      help: 'Failed batch commits: retried (database unavailable) or split per message (bad data)',
      labelNames: ['kind'],
      registers,
    });
    this.abandoned = new Counter({
      name: 'tm_ingest_messages_abandoned_total',
      help: 'Messages acknowledged although neither they nor their dead letter could be stored (should stay 0)',
      registers,
    });
    this.inflightMessages = new Gauge({ name: 'tm_ingest_inflight_messages', help: 'Messages received and not yet fully processed', registers });
    this.inflightBytes = new Gauge({ name: 'tm_ingest_inflight_bytes', help: 'Payload bytes received and not yet fully processed (back-pressure budget)', registers });
    this.inflightBytesMax = new Gauge({
      name: 'tm_ingest_inflight_bytes_max',
      help: 'Highest tm_ingest_inflight_bytes since the process started (stays within INGEST_MAX_INFLIGHT_BYTES plus one message per connection)',
      registers,
    });
    this.pausedConnections = new Gauge({ name: 'tm_ingest_paused_connections', help: 'Connections not reading because the in-flight budget is used up', registers });
    this.foreignShard = new Counter({
      name: 'tm_ingest_foreign_shard_messages_total',
      help: "Messages of another shard's devices, acknowledged without being stored (shards mode: INGEST_SHARDS)",
      registers,
    });
    this.connected = new Gauge({ name: 'tm_ingest_connections_up', help: 'Ingest MQTT connections currently connected', registers });
  }

  countReceived(channel: MessageChannel): void {
    this.received[channel].inc();
  }

  rejected(reason: RejectionReason, count = 1): void {
    this.rejectionsByReason.get(reason)?.inc(count);
  }
}
