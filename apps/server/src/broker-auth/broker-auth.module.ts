import { Module } from '@nestjs/common';
import { BrokerCredentialsService } from './broker-credentials.service.js';
import { DeviceRegistryListener } from './device-registry.listener.js';
import { ProvisioningOutboxRepository } from './provisioning-outbox.repository.js';

/**
 * Device authentication at the broker (issue 7, docs/security.md): provisions, revokes and
 * restores devices' credentials on Mosquitto's dynamic security plugin as the registry changes.
 * Runs with the `api` role. The embedded aedes broker needs none of this: it checks the devices
 * table itself (embedded-broker-auth.ts, wired in bootstrap.ts).
 */
@Module({
  providers: [ProvisioningOutboxRepository, BrokerCredentialsService, DeviceRegistryListener],
  exports: [BrokerCredentialsService],
})
export class BrokerAuthModule {}
