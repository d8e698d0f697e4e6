import { Injectable, Logger } from '@nestjs/common';
import { Hub } from './hub.js';

/**
 * A committed change of a device's registration, for whoever keeps the broker's credentials in
 * step (issue 7: per-device MQTT username/password and ACL). `secret` is the plain MQTT password,
 * present only on `registered` and `secret-rotated`: it exists in memory during this publish and is never stored or
 * logged (the database keeps its argon2 hash only).
 */
export interface DeviceRegistryEvent {
  /** `secret-rotated` carries the new secret like `registered`; `reassigned`: another patient (caches forget the device). */
  type: 'registered' | 'activated' | 'deactivated' | 'secret-rotated' | 'reassigned';
  deviceId: string;
  secret?: string;
}

/**
 * Registry → broker provisioning. Published by DeviceRegistryService after the transaction that
 * made the change has committed; handlers are awaited before the REST call answers, so an admin
 * who gets 201 knows the hook has run (a failing handler is logged, not reported to the caller).
 */
@Injectable()
export class DeviceRegistryEvents extends Hub<DeviceRegistryEvent> {
  constructor() {
    super(new Logger('DeviceRegistryEvents'));
  }
}
