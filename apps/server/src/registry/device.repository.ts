import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import type { DeviceKind } from '#domain';
import { PG_POOL } from '../database/database.module.js';
import type { Queryable } from './registry-sql.js';
import type { DeviceView } from './registry.views.js';

export interface NewDevice {
  deviceId: string;
  kind: DeviceKind;
  patientId: string;
  secretHash: string;
}

const COLUMNS = `device_id AS "deviceId", kind, patient_id AS "patientId", active, online, battery, firmware,
                 last_seen_at AS "lastSeenAt", created_at AS "createdAt"`;

/** Registered devices. Never selects the secret hash. */
@Injectable()
export class DeviceRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async insert(device: NewDevice, db: Queryable): Promise<void> {
    await db.query(`INSERT INTO devices (device_id, kind, patient_id, secret_hash) VALUES ($1, $2, $3, $4)`, [
      device.deviceId,
      device.kind,
      device.patientId,
      device.secretHash,
    ]);
  }

  /** Locks the device row for the rest of the transaction; undefined when it does not exist. */
  async lockForUpdate(deviceId: string, db: Queryable): Promise<{ active: boolean; patientId: string } | undefined> {
    const { rows } = await db.query<{ active: boolean; patientId: string }>(
      `SELECT active, patient_id AS "patientId" FROM devices WHERE device_id = $1 FOR UPDATE`,
      [deviceId],
    );
    return rows[0];
  }

  async setActive(deviceId: string, active: boolean, db: Queryable): Promise<DeviceView> {
    const { rows } = await db.query<DeviceView>(`UPDATE devices SET active = $2 WHERE device_id = $1 RETURNING ${COLUMNS}`, [
      deviceId,
      active,
    ]);
    return rows[0]!;
  }

  async list(patientId?: string): Promise<DeviceView[]> {
    const { rows } = await this.pool.query<DeviceView>(
      `SELECT ${COLUMNS} FROM devices WHERE ($1::uuid IS NULL OR patient_id = $1) ORDER BY device_id`,
      [patientId ?? null],
    );
    return rows;
  }

  /** Devices of the given patients, in device id order. */
  async ofPatients(patientIds: string[]): Promise<DeviceView[]> {
    if (patientIds.length === 0) return [];
    const { rows } = await this.pool.query<DeviceView>(
      `SELECT ${COLUMNS} FROM devices WHERE patient_id = ANY($1::uuid[]) ORDER BY device_id`,
      [patientIds],
    );
    return rows;
  }
}
