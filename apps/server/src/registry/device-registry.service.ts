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
import { DeviceRegistryEvents, type DeviceRegistryEvent } from '../events/device-registry-events.js';
import { PatientRepository } from './patient.repository.js';
import { RegistryDeviceRepository } from './registry-device.repository.js';
import { DEVICE_ID_PATTERN } from './registry.dto.js';
import type { UpdateDeviceDto } from './registry.dto.js';
import type { DeviceRegisteredView, DeviceUpdatedView, DeviceView } from './registry.views.js';

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
   * PATCH /api/devices/:id (CONTRACT §8), in one transaction with its audit entries, then announced
   * (broker credentials, ingestion's device cache): `patientId` (+ `from`, default now) reassigns
   * the device, `active` deactivates or reactivates it, `rotateSecret` issues a new secret, shown
   * once. A reassignment's `from` must be after the current assignment began (if the device was
   * reassigned before) and not in the future;
   * readings already stored at or after it would have to move between patients: refused (409).
   */
  async update(principal: Principal, deviceId: string, input: UpdateDeviceDto, now = new Date()): Promise<DeviceUpdatedView> {
    if (input.patientId === undefined && input.active === undefined && input.rotateSecret === undefined) {
      throw AppError.validation('nothing to change: give patientId (and from), active and/or rotateSecret');
    }
    if (input.from !== undefined && input.patientId === undefined) throw AppError.validation('from goes with patientId', { fields: ['from'] });
    if (!DEVICE_ID_PATTERN.test(deviceId)) throw AppError.notFound('device');
    const from = input.from !== undefined ? new Date(input.from) : now;
    if (from.getTime() > now.getTime() + 60_000) throw AppError.validation('from must not be in the future', { fields: ['from'] });
    const secret = input.rotateSecret ? newDeviceSecret() : undefined;
    const secretHash = secret ? await hashSecret(secret) : undefined;
    const events: DeviceRegistryEvent[] = [];
    const view = await this.transactions.run(async (tx) => {
      const current = await this.devices.lockForUpdate(deviceId, tx);
      if (!current) throw AppError.notFound('device');
      const actor = actorOf(principal);
      if (input.patientId !== undefined && input.patientId !== current.patientId) {
        if (!isUuid(input.patientId) || !(await this.patients.findById(input.patientId, tx))) {
          throw AppError.validation('patientId: no such patient', { fields: ['patientId'] });
        }
        if (current.assignedFrom && from.getTime() <= current.assignedFrom.getTime()) {
          throw AppError.validation('from must be after the start of the current assignment', { fields: ['from'], currentFrom: current.assignedFrom.toISOString() });
        }
        if (await this.devices.hasDataSince(deviceId, from, tx)) {
          throw new AppError('CONFLICT', 'the device has readings at or after from: they are the current patient’s (give a later from)');
        }
        await this.devices.reassign(deviceId, current, input.patientId, from, tx);
        const details = { fromPatientId: current.patientId, toPatientId: input.patientId, from: from.toISOString() };
        // One entry per patient: "what happened to patient X" finds it from both sides.
        for (const patientId of [current.patientId, input.patientId]) {
          await this.audit.record({ action: 'registry.device.reassign', actor, patientId, targetType: 'device', targetId: deviceId, details }, tx);
        }
        events.push({ type: 'reassigned', deviceId });
      }
      if (input.active !== undefined) {
        await this.devices.setActive(deviceId, input.active, tx);
        await this.audit.record(
          {
            action: input.active ? 'registry.device.activate' : 'registry.device.deactivate',
            actor,
            patientId: current.patientId,
            targetType: 'device',
            targetId: deviceId,
            details: { changed: current.active !== input.active },
          },
          tx,
        );
        events.push({ type: input.active ? 'activated' : 'deactivated', deviceId });
      }
      if (secretHash) {
        // The broker's disabled client would be re-enabled by a new password: rotate on an active device only.
        if (!(input.active ?? current.active)) throw new AppError('CONFLICT', 'a deactivated device gets a new secret when it is reactivated: give active: true with rotateSecret');
        await this.devices.setSecretHash(deviceId, secretHash, tx);
        await this.audit.record({ action: 'registry.device.rotate-secret', actor, patientId: current.patientId, targetType: 'device', targetId: deviceId }, tx);
        events.push({ type: 'secret-rotated', deviceId, secret });
      }
      return this.devices.view(deviceId, tx);
    });
    this.logger.log({ deviceId, changes: events.map((e) => e.type) }, 'device updated');
    for (const event of events) await this.events.publish(event);
    return secret ? { ...view, secret } : view;
  }

  list(patientId?: string): Promise<DeviceView[]> {
    if (patientId !== undefined && !isUuid(patientId)) return Promise.resolve([]);
    return this.devices.list(patientId);
  }
}
