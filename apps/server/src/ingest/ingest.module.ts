import { Module } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { METRICS_REGISTRY } from '../metrics/metrics.module.js';
import { DeviceCache } from './device-cache.js';
import { IngestDeviceRepository } from './ingest-device.repository.js';
import { IngestMetrics } from './ingest.metrics.js';
import { IngestService } from './ingest.service.js';
import { ReadingRepository } from './reading.repository.js';

/** Device ingestion over MQTT (issue 8, docs/ingestion.md). Runs in processes with the `ingest` role. */
@Module({
  providers: [
    { provide: IngestMetrics, inject: [METRICS_REGISTRY], useFactory: (registry: Registry) => new IngestMetrics(registry) },
    IngestDeviceRepository,
    DeviceCache,
    ReadingRepository,
    IngestService,
  ],
  exports: [DeviceCache, IngestService],
})
export class IngestModule {}
