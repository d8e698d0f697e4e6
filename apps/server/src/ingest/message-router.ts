import { Injectable, Logger } from '@nestjs/common';
import { parseDeviceTopic } from '#protocol';
import { DeviceCache } from './device-cache.js';
import type { DeviceInfo } from './ingest-device.repository.js';
import type { InflightMessage } from './inflight-message.js';
import { IngestMetrics } from './ingest.metrics.js';
import { MessageValidator } from './message-validator.js';
import { ReadingBatcher } from './reading-batcher.js';

/**
 * Step 2 of ingestion (docs/ingestion.md): every received message goes from here into the open
 * batch. Reads the device from the topic, finds its registration (DeviceCache: no query per
 * message), has MessageValidator write what the message writes, and tells the batcher.
 * Never throws: bad input is recorded, and so is a bug on this path.
 */
@Injectable()
export class MessageRouter {
  private readonly logger = new Logger('Ingest');

  constructor(
    private readonly metrics: IngestMetrics,
    private readonly devices: DeviceCache,
    private readonly validator: MessageValidator,
    private readonly batcher: ReadingBatcher,
  ) {}

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

  /** Routes into the open batch; a failure here still ends in that batch, as a dead letter. */
  private routeSafely(message: InflightMessage, device: DeviceInfo | null): void {
    const batch = this.batcher.current;
    try {
      this.validator.route(message, device, batch);
    } catch (err) {
      this.logger.error({ err, deviceId: message.deviceId }, 'message processing failed; recorded as a dead letter');
      this.validator.recordFailure(batch, message, err);
    }
    this.batcher.added();
  }
}
