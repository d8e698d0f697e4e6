import { Module } from '@nestjs/common';
import type { Pool } from 'pg';
import { PgDeviceCredentialLookup } from '../../broker-auth/embedded-broker-auth.js';
import { PG_POOL } from '../../database/database.module.js';
import { IngestModule } from '../../ingest/ingest.module.js';
import { FhirFeedController } from './fhir-feed.controller.js';
import { FEED_DEVICE_CREDENTIALS, FhirFeedService } from './fhir-feed.service.js';

/**
 * Inbound FHIR (CONTRACT.md §8). Runs where ingestion runs (role `ingest`): the Bundles go into
 * that process's ingestion path, like its MQTT messages.
 */
@Module({
  imports: [IngestModule],
  controllers: [FhirFeedController],
  providers: [FhirFeedService, { provide: FEED_DEVICE_CREDENTIALS, useFactory: (pool: Pool) => new PgDeviceCredentialLookup(pool), inject: [PG_POOL] }],
})
export class FhirFeedModule {}
