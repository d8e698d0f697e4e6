import { Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { DeviceKind } from '#domain';
import { isUuid } from '../access/patient-access.service.js';
import { AuditService, actorOf } from '../audit/audit.service.js';
import { hashSecret } from '../auth/password.js';
import type { Principal } from '../auth/principal.js';
import { AppError } from '../common/app-error.js';
import { mapDatabaseError } from '../database/database-errors.js';
import { TransactionRunner } from '../database/transaction.js';
import { DeviceRegistryEvents } from '../events/device-registry-events.js';
import { PatientRepository } from './patient.repository.js';
import { RegistryDeviceRepository } from './registry-device.repository.js';
import { DEVICE_ID_PATTERN } from './registry.dto.js';
import type { DeviceRegisteredView, DeviceView } from './registry.views.js';

/** A device's MQTT password: 32 random bytes, base64url (43 characters). */
export function newDeviceSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The only way a device enters or leaves service. Each change is committed with its audit entry,
 * then announced on DeviceRegistryEvents so that the broker's credentials follow (issue 7).
 */
@Injectable()
export class DeviceRegistryService {
  private readonly logger = new Logger('DeviceRegistry');

  constructor(
    private readonly transactions: TransactionRunner,
    private readonly devices: RegistryDeviceRepository,
    private readonly patients: PatientRepository,
    private readonly audit: AuditService,
    private readonly events: DeviceRegistryEvents,
  ) {}

  /** Registers a device for a patient and returns its secret: the only time it is ever shown. */
  async register(principal: Principal, input: { deviceId: string; kind: DeviceKind; patientId: string }): Promise<DeviceRegisteredView> {
    const secret = newDeviceSecret();
    const secretHash = await hashSecret(secret);
    await this.transactions.run(async (tx) => {
      if (!(await this.patients.findById(input.patientId, tx))) {
        throw AppError.validation('patientId: no such patient', { fields: ['patientId'] });
      }
      await this.devices.insert({ deviceId: input.deviceId, kind: input.kind, patientId: input.patientId, secretHash }, tx).catch(mapDatabaseError);
      await this.audit.record(
        {
          action: 'registry.device.register',
          actor: actorOf(principal),
          patientId: input.patientId,
          targetType: 'device',
          targetId: input.deviceId,
          details: { kind: input.kind },
        },
        tx,
      );
    });
    this.logger.log({ deviceId: input.deviceId, patientId: input.patientId }, 'device registered');
    await this.events.publish({ type: 'registered', deviceId: input.deviceId, secret });
    return { deviceId: input.deviceId, secret };
  }

  /**
   * Deactivates (the device can no longer connect; its messages are refused) or reactivates a
   * device. The event is published on every call, even when nothing changed, so that repeating
   * the call re-applies the state to the broker.
   */
  async setActive(principal: Principal, deviceId: string, active: boolean): Promise<DeviceView> {
    if (!DEVICE_ID_PATTERN.test(deviceId)) throw AppError.notFound('device');
    const device = await this.transactions.run(async (tx) => {
      const current = await this.devices.lockForUpdate(deviceId, tx);
      if (!current) throw AppError.notFound('device');
      const updated = await this.devices.setActive(deviceId, active, tx);
      await this.audit.record(
        {
          action: active ? 'registry.device.activate' : 'registry.device.deactivate',
          actor: actorOf(principal),
          patientId: current.patientId,
          targetType: 'device',
          targetId: deviceId,
          details: { changed: current.active !== active },
        },
        tx,
      );
      return updated;
    });
    this.logger.log({ deviceId, active }, 'device activation set');
    await this.events.publish({ type: active ? 'activated' : 'deactivated', deviceId });
    return device;
  }

  list(patientId?: string): Promise<DeviceView[]> {
    if (patientId !== undefined && !isUuid(patientId)) return Promise.resolve([]);
    return this.devices.list(patientId);
  }
}
