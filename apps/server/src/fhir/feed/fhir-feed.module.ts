import { type DynamicModule, Module } from '@nestjs/common';
import type { Pool } from 'pg';
import { PgDeviceCredentialLookup } from '../../broker-auth/embedded-broker-auth.js';
import { PG_POOL } from '../../database/database.module.js';
import { IngestModule } from '../../ingest/ingest.module.js';
import { DeviceRegistryService } from '../../registry/device-registry.service.js';
import { RegistryModule } from '../../registry/registry.module.js';
import { FhirFeedController } from './fhir-feed.controller.js';
import { FEED_DEVICE_CREATOR, FEED_DEVICE_CREDENTIALS, FhirFeedService } from './fhir-feed.service.js';

/**
 * Inbound FHIR (CONTRACT.md §8). Runs where ingestion runs (role `ingest`): the Bundles go into
 * that process's ingestion path, like its MQTT messages. Where the registry runs too (role `api`
 * in the same process) an admin's Bundle may create an absent device through the registry's one
 * registration path; elsewhere an unknown device is recorded as `unknown-device`, as over MQTT.
 */
@Module({})
export class FhirFeedModule {
  static register(options: { registry: boolean }): DynamicModule {
    return {
      module: FhirFeedModule,
      imports: [IngestModule, ...(options.registry ? [RegistryModule] : [])],
      controllers: [FhirFeedController],
      providers: [
        FhirFeedService,
        { provide: FEED_DEVICE_CREDENTIALS, useFactory: (pool: Pool) => new PgDeviceCredentialLookup(pool), inject: [PG_POOL] },
        options.registry ? { provide: FEED_DEVICE_CREATOR, useExisting: DeviceRegistryService } : { provide: FEED_DEVICE_CREATOR, useValue: null },
      ],
    };
  }
}
