import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DeviceRegistryEvents, type DeviceRegistryEvent } from '../events/device-registry-events.js';
import { BrokerCredentialsService } from './broker-credentials.service.js';

/**
 * Registry → broker (DeviceRegistryEvents, published after the registry's commit): a registered
 * device is provisioned, a deactivated one revoked, a reactivated one restored. The hub awaits
 * this handler before the REST call answers; a broker outage does not fail the call: the change
 * is queued and retried (BrokerCredentialsService).
 */
@Injectable()
export class DeviceRegistryListener implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('BrokerCredentials');
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly credentials: BrokerCredentialsService,
    private readonly events: DeviceRegistryEvents,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.events.subscribe((event) => this.handle(event));
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  async handle(event: DeviceRegistryEvent): Promise<void> {
    let result;
    try {
      if (event.type === 'reassigned') return; // the broker's credentials do not name the patient
      if (event.type === 'registered' || event.type === 'secret-rotated') {
        if (!event.secret) throw new Error(`${event.type} event without a secret`);
        // The same dynsec commands set a new client's password or an existing one's.
        result = await this.credentials.provision(event.deviceId, event.secret);
      } else if (event.type === 'deactivated') {
        result = await this.credentials.revoke(event.deviceId);
      } else {
        result = await this.credentials.restore(event.deviceId);
      }
    } catch (err) {
      // The outbox itself could not be written (database down): nothing will retry this change.
      const remedy =
        event.type === 'registered' || event.type === 'secret-rotated'
          ? 'the device needs a new secret (PATCH /api/devices/:id { rotateSecret: true })'
          : 'repeat PATCH /api/devices/:id once the database is back';
      this.logger.error(
        { deviceId: event.deviceId, type: event.type, err: (err as Error).message },
        `broker credentials NOT updated and not queued: ${remedy}`,
      );
      throw err;
    }
    if (result === 'failed') {
      this.logger.error({ deviceId: event.deviceId, type: event.type }, 'broker credentials could not be updated: see the outbox');
    }
  }
}
