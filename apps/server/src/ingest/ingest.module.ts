import { Module } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { METRICS_REGISTRY } from '../metrics/metrics.module.js';
import { BatchAcknowledger } from './batch-acknowledger.js';
import { BatchCommitter } from './batch-committer.js';
import { DeviceCache } from './device-cache.js';
import { InflightBudget } from './inflight-budget.js';
import { IngestDeviceRepository } from './ingest-device.repository.js';
import { IngestMetrics } from './ingest.metrics.js';
import { IngestService } from './ingest.service.js';
import { LastSeenTracker } from './last-seen-tracker.js';
import { MessageRouter } from './message-router.js';
import { MessageValidator } from './message-validator.js';
import { MqttConsumer, type BudgetSource } from './mqtt-consumer.js';
import { ReadingBatcher } from './reading-batcher.js';
import { ReadingRepository } from './reading.repository.js';
import { RulesHandover } from './rules-handover.js';

/**
 * Device ingestion over MQTT (issue 8, docs/ingestion.md). Runs in processes with the `ingest` role.
 * One provider per step of the path (receive → route → batch → commit → acknowledge → rules).
 */
@Module({
  providers: [
    { provide: IngestMetrics, inject: [METRICS_REGISTRY], useFactory: (registry: Registry) => new IngestMetrics(registry) },
    {
      // Shared by the consumer (arrivals hold connections) and the rules hand-over (releases resume them).
      provide: InflightBudget,
      inject: [APP_CONFIG, IngestMetrics],
      useFactory: (config: AppConfig, metrics: IngestMetrics) =>
        new InflightBudget<BudgetSource>(config.ingest.maxInflightBytes, metrics, (connection) => connection.resumed()),
    },
    IngestDeviceRepository,
    DeviceCache,
    ReadingRepository,
    MqttConsumer,
    MessageRouter,
    MessageValidator,
    ReadingBatcher,
    BatchCommitter,
    BatchAcknowledger,
    RulesHandover,
    LastSeenTracker,
    IngestService,
  ],
  // MessageRouter and InflightBudget: inbound FHIR (fhir/feed) hands its messages to the same path.
  exports: [DeviceCache, IngestService, MessageRouter, InflightBudget],
})
export class IngestModule {}
