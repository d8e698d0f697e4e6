import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import {
  parseDeviceTopic,
  parseReadingsPayload,
  parseStatusPayload,
  payloadExcerpt,
  type ItemRejection,
  type RejectionReason,
  type TimeWindow,
} from '#protocol';
import { valueTooDeep } from '../common/json-depth.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { StoredReadingsHub } from '../events/event-hubs.js';
import type { StoredDeviceBatch } from '../events/stored-readings.js';
import { DeviceCache } from './device-cache.js';
import { DeviceRepository, type DeviceInfo } from './device.repository.js';
import type { InflightMessage } from './inflight-message.js';
import { IngestBatch } from './ingest-batch.js';
import { IngestMetrics } from './ingest.metrics.js';
import { MqttConsumer, type MessageHandler } from './mqtt-consumer.js';
import { ReadingBatcher, type BatchSink } from './reading-batcher.js';
import { isDataError, ReadingRepository, type CommitResult } from './reading.repository.js';

/** Rejected samples/sessions of one message recorded one row each; the rest in one summary row. */
const MAX_ITEM_ROWS_PER_MESSAGE = 100;
const LAST_SEEN_FLUSH_MS = 1000;
const SHUTDOWN_DRAIN_MS = 5000;

interface HubEntry {
  stored: StoredDeviceBatch[][];
  done: boolean;
  weight: number;
  messages: number;
}

/**
 * Device ingestion (docs/ingestion.md): MQTT message → validation → batch → one statement →
 * PUBACK → rules. Every message ends in exactly one committed batch, as data or as a dead letter,
 * before it is acknowledged.
 */
@Injectable()
export class IngestService implements MessageHandler, BatchSink, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Ingest');
  private readonly batcher: ReadingBatcher;
  private consumer: MqttConsumer | undefined;
  private readonly backfillHorizonMs: number;
  private readonly futureSkewMs: number;
  private readonly hubQueue = new Map<number, HubEntry>();
  private nextHubSeq = 1;
  private hubBusy = false;
  private lastSeen = new Map<string, number>();
  private lastSeenTimer: NodeJS.Timeout | undefined;
  private outageSince: number | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: IngestMetrics,
    private readonly devices: DeviceCache,
    private readonly deviceRepository: DeviceRepository,
    private readonly readings: ReadingRepository,
    private readonly hub: StoredReadingsHub,
  ) {
    const ingest = config.ingest;
    this.backfillHorizonMs = ingest.backfillHorizonDays * 86_400_000;
    this.futureSkewMs = ingest.futureSkewSeconds * 1000;
    this.batcher = new ReadingBatcher(
      { maxRows: ingest.batchMaxRows, maxDelayMs: ingest.batchMaxDelayMs, writers: ingest.writers, retryInitialMs: 200, retryMaxMs: 5000 },
      this,
    );
  }

  onApplicationBootstrap(): void {
    this.devices.start();
    this.lastSeenTimer = setInterval(() => void this.flushLastSeen(), LAST_SEEN_FLUSH_MS);
    this.consumer = new MqttConsumer(this.config, this, this.metrics);
    this.consumer.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.consumer?.pause();
    const drained = await this.batcher.drain(SHUTDOWN_DRAIN_MS);
    if (!drained) this.logger.warn('shutdown: uncommitted batches left unacknowledged (the broker redelivers them)');
    this.batcher.stop();
    await this.consumer?.stop();
    clearInterval(this.lastSeenTimer);
    await this.flushLastSeen();
  }

  /** Connections up (for health and tests). */
  get connectedCount(): number {
    return this.consumer?.connectedCount ?? 0;
  }

  // ---- MessageHandler: every message received ----

  accept(message: InflightMessage): void {
    const parsed = parseDeviceTopic(message.topic);
    if (!parsed) {
      this.metrics.countReceived('other');
      this.routeSafely(message, null);
      return;
    }
    message.deviceId = parsed.deviceId;
    message.channel = parsed.channel;
    this.metrics.countReceived(parsed.channel);
    const device = this.devices.peek(parsed.deviceId, message.receivedAt);
    if (device !== undefined) {
      this.routeSafely(message, device);
      return;
    }
    // DeviceCache.load never rejects (it retries while the database is away).
    void this.devices.load(parsed.deviceId).then((loaded) => this.routeSafely(message, loaded));
  }

  /**
   * Routes into the open batch. A failure here is a bug, not bad input: the message still has to
   * end in a committed batch (as a `processing-failed` dead letter), or it would hold back every
   * later acknowledgement of its connection and its share of the in-flight budget forever.
   */
  private routeSafely(message: InflightMessage, device: DeviceInfo | null): void {
    const batch = this.batcher.current;
    try {
      this.route(message, device, batch);
    } catch (err) {
      this.logger.error({ err, deviceId: message.deviceId }, 'message processing failed; recorded as a dead letter');
      if (!batch.messages.includes(message)) batch.addMessage(message);
      this.reject(batch, message, 'processing-failed', `the backend failed on this message: ${(err as Error)?.message ?? String(err)}`);
    }
    this.batcher.added();
  }

  /** Validates one message and adds what it writes (data and/or dead letters) to `batch`. */
  private route(message: InflightMessage, device: DeviceInfo | null, batch: IngestBatch): void {
    batch.addMessage(message);
    message.device = device;
    const { deviceId, receivedAt } = message;
    if (deviceId === null) {
      return this.reject(batch, message, 'bad-topic', `not ${'tm/v1/devices/{deviceId}/readings|status'}`);
    }
    if (device === null) return this.reject(batch, message, 'unknown-device', 'no device registered with this id');
    if (!device.active) return this.reject(batch, message, 'inactive-device', 'device is deactivated');
    if (message.channel === 'status') {
      const status = parseStatusPayload(message.payload);
      if (!status.ok) return this.reject(batch, message, status.reason, status.detail);
      batch.addStatus(deviceId, status.status, receivedAt);
      return;
    }
    const window: TimeWindow = { nowMs: receivedAt, backfillHorizonMs: this.backfillHorizonMs, futureSkewMs: this.futureSkewMs };
    const result = parseReadingsPayload(message.payload, window);
    if (!result.ok) return this.reject(batch, message, result.reason, result.detail);
    batch.addSamples(device, result.samples, receivedAt);
    let rejected = result.rejected;
    if (result.sessions.length > 0) {
      if (device.kind === 'ventilator') {
        batch.addSessions(device, result.sessions);
      } else {
        rejected = rejected.concat(
          result.sessions.map((_, index) => ({ kind: 'session' as const, index, reason: 'bad-session' as const, detail: 'sessions are accepted from ventilators only' })),
        );
      }
    }
    if (rejected.length > 0) this.recordItemRejections(batch, message, rejected);
  }

  private reject(batch: IngestBatch, message: InflightMessage, reason: RejectionReason, detail: string): void {
    batch.addRejection(message.deviceId, message.topic, reason, clean(detail), message.receivedAt, payloadExcerpt(message.payload));
  }

  /** One dead letter per rejected sample or session (its own JSON as the excerpt), bounded per message. */
  private recordItemRejections(batch: IngestBatch, message: InflightMessage, rejected: readonly ItemRejection[]): void {
    let doc: { samples?: unknown[]; sessions?: unknown[] } | undefined;
    try {
      doc = JSON.parse(message.payload.toString('utf8')) as typeof doc;
    } catch {
      doc = undefined;
    }
    const recorded = Math.min(rejected.length, MAX_ITEM_ROWS_PER_MESSAGE);
    for (let i = 0; i < recorded; i++) {
      const r = rejected[i]!;
      const list = r.kind === 'sample' ? doc?.samples : r.kind === 'session' ? doc?.sessions : undefined;
      const item = r.index !== null && Array.isArray(list) ? list[r.index] : undefined;
      const where = r.kind === 'message' ? 'message' : `${r.kind === 'sample' ? 'samples' : 'sessions'}[${r.index}]`;
      const excerpt = (item !== undefined ? itemExcerpt(item) : undefined) ?? payloadExcerpt(message.payload);
      batch.addRejection(message.deviceId, message.topic, r.reason, clean(`${where}: ${r.detail}`), message.receivedAt, excerpt);
    }
    if (rejected.length > recorded) {
      const counts = new Map<RejectionReason, number>();
      for (let i = recorded; i < rejected.length; i++) counts.set(rejected[i]!.reason, (counts.get(rejected[i]!.reason) ?? 0) + 1);
      const summary = [...counts].map(([reason, n]) => `${reason} x${n}`).join(', ');
      const first = rejected[recorded]!.reason;
      batch.addRejection(message.deviceId, message.topic, first, `${rejected.length - recorded} more rejected items: ${summary}`, message.receivedAt, null);
      batch.countRejection(first, -1);
      for (const [reason, n] of counts) batch.countRejection(reason, n);
    }
  }

  // ---- BatchSink: the batcher's side ----

  newBatch(): IngestBatch {
    return new IngestBatch();
  }

  commit(batch: IngestBatch): Promise<CommitResult> {
    return this.readings.commit(batch);
  }

  isDataError(err: unknown): boolean {
    return isDataError(err);
  }

  rebuild(message: InflightMessage): IngestBatch {
    const batch = this.newBatch();
    this.route(message, message.device, batch);
    return batch;
  }

  unstorable(message: InflightMessage, err: unknown): IngestBatch {
    const batch = this.newBatch();
    batch.lastResort = true;
    batch.addMessage(message);
    const code = (err as { code?: string }).code ?? 'unknown';
    this.logger.error(`device ${message.deviceId ?? '?'}: message refused by the database (SQLSTATE ${code}), kept as a dead letter`);
    this.reject(batch, message, 'store-failed', `the database refused the message's data (SQLSTATE ${code})`);
    return batch;
  }

  abandon(message: InflightMessage, err: unknown): void {
    this.metrics.abandoned.inc();
    this.logger.error(`device ${message.deviceId ?? '?'}: neither the message nor its dead letter could be stored, acknowledging it: ${(err as Error).message}`);
    message.ackTarget?.settle(message);
  }

  committed(batch: IngestBatch, result: CommitResult, commitMs: number): void {
    // Acknowledge first: nothing else may delay the PUBACKs.
    for (const message of batch.messages) message.ackTarget?.settle(message);
    if (this.outageSince !== undefined) {
      this.logger.log(`database writes resumed after ${Math.round((Date.now() - this.outageSince) / 1000)} s`);
      this.outageSince = undefined;
    }
    const m = this.metrics;
    m.commitSeconds.observe(commitMs / 1000);
    m.batchRows.observe(batch.rowCount);
    m.samplesAccepted.inc(batch.acceptedSamples);
    m.readingsInserted.inc(result.insertedRows);
    m.readingsDuplicate.inc(batch.rowCount - result.insertedRows);
    m.sessionsInserted.inc(result.insertedSessions);
    for (const [reason, n] of batch.rejectionCounts) m.rejected(reason, n);
    for (const [deviceId, at] of batch.lastSeen) {
      const seen = this.lastSeen.get(deviceId);
      if (seen === undefined || seen < at) this.lastSeen.set(deviceId, at);
    }
    if (this.hub.subscriberCount > 0) {
      const stored = batch.storedBatches();
      if (stored.length > 0) this.hubEntry(batch.seq).stored.push(stored);
    }
  }

  finished(batch: IngestBatch): void {
    const entry = this.hubEntry(batch.seq);
    entry.done = true;
    entry.weight = batch.weight;
    entry.messages = batch.messages.length;
    this.kickHub();
  }

  failed(err: unknown, attempt: number, delayMs: number | null): void {
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

  private kickHub(): void {
    if (this.hubBusy) return;
    this.hubBusy = true;
    void this.publishInOrder().finally(() => {
      this.hubBusy = false;
      if (this.hubQueue.get(this.nextHubSeq)?.done) this.kickHub();
    });
  }

  /**
   * Hands committed batches to the rules in seal order (so per device in arrival order), one at a
   * time, after their PUBACKs were sent. Slow rules hold the budget, never the acknowledgements.
   */
  private async publishInOrder(): Promise<void> {
    for (;;) {
      const entry = this.hubQueue.get(this.nextHubSeq);
      if (!entry?.done) return;
      this.hubQueue.delete(this.nextHubSeq);
      this.nextHubSeq++;
      for (const stored of entry.stored) await this.hub.publish(stored);
      this.consumer?.release(entry.weight, entry.messages);
    }
  }

  private hubEntry(seq: number): HubEntry {
    let entry = this.hubQueue.get(seq);
    if (!entry) {
      entry = { stored: [], done: false, weight: 0, messages: 0 };
      this.hubQueue.set(seq, entry);
    }
    return entry;
  }

  private async flushLastSeen(): Promise<void> {
    if (this.lastSeen.size === 0) return;
    const pending = this.lastSeen;
    this.lastSeen = new Map();
    try {
      await this.deviceRepository.touchLastSeen(pending);
    } catch {
      for (const [id, at] of pending) {
        const seen = this.lastSeen.get(id);
        if (seen === undefined || seen < at) this.lastSeen.set(id, at);
      }
    }
  }
}

/**
 * A rejected item's own JSON, or undefined when it cannot be serialized: a deeply nested item
 * (a payload of 256 KiB holds 100,000 levels) overflows JSON.stringify's stack, and that must
 * not throw out of routing (an uncaught error there kills the process, and the unacknowledged
 * message is redelivered to the restarted one).
 */
/**
 * Past this nesting an item is not quoted (the message's own excerpt is kept): quoting means
 * stringifying all of it for 256 characters, and whether that overflows the stack depends on the
 * runtime (Node 20's JSON.stringify did at a few thousand levels, Node 26's does not), so the dead letter
 * would too. No real sample nests more than a few levels.
 */
const MAX_QUOTED_ITEM_DEPTH = 1000;

function itemExcerpt(item: unknown): string | undefined {
  if (valueTooDeep(item, MAX_QUOTED_ITEM_DEPTH)) return undefined;
  try {
    return payloadExcerpt(JSON.stringify(item) ?? '', 256);
  } catch {
    return undefined;
  }
}

/** Details may quote device input (field names): printable and bounded. */
function clean(detail: string): string {
  return payloadExcerpt(detail, 300);
}
