import { Inject, Injectable } from '@nestjs/common';
import {
  parseReadingsPayload,
  parseStatusPayload,
  payloadExcerpt,
  type ItemRejection,
  type RejectionReason,
  type TimeWindow,
} from '#protocol';
import { valueTooDeep } from '../common/json-depth.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { DeviceInfo } from './ingest-device.repository.js';
import type { InflightMessage } from './inflight-message.js';
import { IngestBatch } from './ingest-batch.js';

/** Rejected samples/sessions of one message recorded one row each; the rest in one summary row. */
export const MAX_ITEM_ROWS_PER_MESSAGE = 100;

/**
 * Step 2 of ingestion (docs/ingestion.md): what one message writes. Validates the message against
 * its device's registration (libs/protocol's parsers) and appends its data and/or dead letters to
 * a batch. Pure: no I/O, no clock (the window is the message's own receive time).
 */
@Injectable()
export class MessageValidator {
  private readonly backfillHorizonMs: number;
  private readonly futureSkewMs: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.backfillHorizonMs = config.ingest.backfillHorizonDays * 86_400_000;
    this.futureSkewMs = config.ingest.futureSkewSeconds * 1000;
  }

  /** Adds `message` and what it writes (data and/or dead letters) to `batch`. Throws only on a bug. */
  route(message: InflightMessage, device: DeviceInfo | null, batch: IngestBatch): void {
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
    const result = parseReadingsPayload(message.payload, window, device.kind);
    if (!result.ok) return this.reject(batch, message, result.reason, result.detail);
    batch.addSamples(device, result.samples, receivedAt);
    if (result.sessions.length > 0) batch.addSessions(device, result.sessions);
    const rejected = result.rejected;
    if (rejected.length > 0) this.recordItemRejections(batch, message, rejected);
  }

  /**
   * Routing `message` failed (a bug, not bad input): it still has to end in a committed batch, as a
   * `processing-failed` dead letter, or it would hold back every later acknowledgement of its
   * connection and its share of the in-flight budget forever.
   */
  recordFailure(batch: IngestBatch, message: InflightMessage, err: unknown): void {
    if (!batch.messages.includes(message)) batch.addMessage(message);
    this.reject(batch, message, 'processing-failed', `the backend failed on this message: ${(err as Error)?.message ?? String(err)}`);
  }

  /** The batch `message` alone makes (a retry message by message), from the registration it was routed with. */
  rebuild(message: InflightMessage): IngestBatch {
    const batch = new IngestBatch();
    this.route(message, message.device, batch);
    return batch;
  }

  /** A batch that records `message` as a `store-failed` dead letter instead of storing it (marked `lastResort`). */
  unstorable(message: InflightMessage, err: unknown): IngestBatch {
    const batch = new IngestBatch();
    batch.lastResort = true;
    batch.addMessage(message);
    const code = (err as { code?: string }).code ?? 'unknown';
    this.reject(batch, message, 'store-failed', `the database refused the message's data (SQLSTATE ${code})`);
    return batch;
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
 * runtime (Node 20's JSON.stringify did at a few thousand levels, Node 26's does not), so the dead
 * letter would too. No real sample nests more than a few levels.
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
