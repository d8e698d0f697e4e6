import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type Repository } from 'typeorm';
import type { DeviceKind } from '#domain';
import type { Tx } from '../database/transaction.js';
import { DeviceAssignmentEntity, DeviceEntity } from './registry.entities.js';
import type { DeviceView } from './registry.views.js';

export interface NewDevice {
  deviceId: string;
  kind: DeviceKind;
  patientId: string;
  secretHash: string;
}

/** The columns of a device that the registry shows (never the secret hash). */
const VIEW_COLUMNS = {
  deviceId: true,
  kind: true,
  patientId: true,
  active: true,
  online: true,
  battery: true,
  firmware: true,
  lastSeenAt: true,
  createdAt: true,
} as const;

/**
 * Registered devices as the registry manages them (registration, activation, lists). The ingest
 * path reads devices through its own repository, tuned for its lookups.
 */
@Injectable()
export class RegistryDeviceRepository {
  constructor(@InjectRepository(DeviceEntity) private readonly devices: Repository<DeviceEntity>) {}

  async insert(device: NewDevice, tx: Tx): Promise<void> {
    await tx.manager.getRepository(DeviceEntity).insert({ ...device });
  }

  /** Locks the device row for the rest of the transaction; undefined when it does not exist. */
  async lockForUpdate(deviceId: string, tx: Tx): Promise<{ active: boolean; patientId: string; assignedFrom: Date | null } | undefined> {
    const found = await tx.manager.getRepository(DeviceEntity).findOne({
      select: { active: true, patientId: true, assignedFrom: true },
      where: { deviceId },
      lock: { mode: 'pessimistic_write' },
    });
    return found ? { active: found.active, patientId: found.patientId, assignedFrom: found.assignedFrom } : undefined;
  }

  /** Whether the device has stored readings or ventilation sessions taken at or after `from`. */
  async hasDataSince(deviceId: string, from: Date, tx: Tx): Promise<boolean> {
    const rows: { found: boolean }[] = await tx.manager.query(
      `SELECT EXISTS (SELECT 1 FROM readings WHERE device_id = $1 AND time >= $2)
           OR EXISTS (SELECT 1 FROM night_sessions WHERE device_id = $1 AND start_at >= $2) AS found`,
      [deviceId, from],
    );
    return rows[0]?.found === true;
  }

  /** The device is `patientId`'s from `from`; the current patient's assignment ends there. */
  async reassign(deviceId: string, current: { patientId: string }, patientId: string, from: Date, tx: Tx): Promise<void> {
    await tx.manager.getRepository(DeviceAssignmentEntity).insert({ deviceId, patientId: current.patientId, untilAt: from });
    await tx.manager.getRepository(DeviceEntity).update({ deviceId }, { patientId, assignedFrom: from });
  }

  async setSecretHash(deviceId: string, secretHash: string, tx: Tx): Promise<void> {
    await tx.manager.getRepository(DeviceEntity).update({ deviceId }, { secretHash });
  }

  async view(deviceId: string, tx: Tx): Promise<DeviceView> {
    return tx.manager.getRepository(DeviceEntity).findOneOrFail({ select: VIEW_COLUMNS, where: { deviceId } });
  }

  /** The device must exist (locked by lockForUpdate in the same transaction). */
  async setActive(deviceId: string, active: boolean, tx: Tx): Promise<DeviceView> {
    const repo = tx.manager.getRepository(DeviceEntity);
    await repo.update({ deviceId }, { active });
    return repo.findOneOrFail({ select: VIEW_COLUMNS, where: { deviceId } });
  }

  list(patientId?: string): Promise<DeviceView[]> {
    return this.devices.find({ select: VIEW_COLUMNS, where: patientId === undefined ? {} : { patientId }, order: { deviceId: 'ASC' } });
  }

  /** Devices of the given patients, in device id order. */
  async ofPatients(patientIds: string[]): Promise<DeviceView[]> {
    if (patientIds.length === 0) return [];
    return this.devices.find({ select: VIEW_COLUMNS, where: { patientId: In(patientIds) }, order: { deviceId: 'ASC' } });
  }
}
