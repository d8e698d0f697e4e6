import type { DeviceChannel } from '#protocol';
import type { DeviceInfo } from './ingest-device.repository.js';

/** Where a committed message is acknowledged: the MQTT connection it came from. */
export interface AckTarget {
  /** The message's data is committed: send its PUBACK (in receive order on its connection). */
  settle(message: InflightMessage): void;
}

/**
 * One MQTT message between its arrival and its acknowledgement. Allocated once per message;
 * `next` links the per-connection acknowledgement queue without another allocation.
 */
export class InflightMessage {
  /** Next message of the same connection, in receive order (ack queue). */
  next: InflightMessage | null = null;
  /** Committed (stored, or its rejection recorded): may be acknowledged. */
  committed = false;
  /** Its connection was lost before the ack: the broker redelivers it, so no PUBACK is sent. */
  orphaned = false;
  /** Another shard's message (shards mode): acknowledged in its turn, never stored. */
  foreign = false;
  deviceId: string | null = null;
  channel: DeviceChannel | null = null;
  /** Registration read when the message was routed (kept for a message-by-message retry). */
  device: DeviceInfo | null = null;

  constructor(
    /** null for QoS 0 (nothing to acknowledge). */
    readonly ackTarget: AckTarget | null,
    /** Connection generation the message arrived on: an ack is only sent on the same one. */
    readonly generation: number,
    readonly messageId: number,
    readonly topic: string,
    readonly payload: Buffer,
    /** Server clock at arrival (epoch ms): validation window, rejection time, status time. */
    readonly receivedAt: number,
    /** performance.now() at arrival, for the ack latency histogram. */
    readonly receivedPerf: number,
    /** Back-pressure weight (payload bytes), released once the message is fully processed. */
    readonly weight: number,
  ) {}
}
