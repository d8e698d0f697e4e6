import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DeviceCache } from './device-cache.js';
import { LastSeenTracker } from './last-seen-tracker.js';
import { MqttConsumer } from './mqtt-consumer.js';
import { ReadingBatcher } from './reading-batcher.js';

const SHUTDOWN_DRAIN_MS = 5000;

/**
 * Starts and stops device ingestion (docs/ingestion.md). A reading flows one way through named
 * steps, each its own provider:
 *
 *   MqttConsumer → MessageRouter (+ MessageValidator) → ReadingBatcher → BatchCommitter
 *     → BatchAcknowledger (PUBACKs; LastSeenTracker) → RulesHandover (then the budget is freed)
 *
 * Every message ends in exactly one committed batch, as data or as a dead letter, before it is
 * acknowledged. This service only orders start-up and shutdown around that path.
 */
@Injectable()
export class IngestService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Ingest');

  constructor(
    private readonly consumer: MqttConsumer,
    private readonly batcher: ReadingBatcher,
    private readonly devices: DeviceCache,
    private readonly lastSeen: LastSeenTracker,
  ) {}

  onApplicationBootstrap(): void {
    this.devices.start();
    this.lastSeen.start();
    this.consumer.start();
  }

  /** Intake stops, what is batched is committed and acknowledged (bounded), then the connections close. */
  async beforeApplicationShutdown(): Promise<void> {
    this.consumer.pause();
    const drained = await this.batcher.drain(SHUTDOWN_DRAIN_MS);
    if (!drained) this.logger.warn('shutdown: uncommitted batches left unacknowledged (the broker redelivers them)');
    this.batcher.stop();
    await this.consumer.stop();
    await this.lastSeen.stop();
  }

  /** Connections up (for health and tests). */
  get connectedCount(): number {
    return this.consumer.connectedCount;
  }
}
