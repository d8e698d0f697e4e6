import { Inject, Injectable } from '@nestjs/common';
import type { DeviceKind } from '#domain';
import type pg from 'pg';
import { PG_POOL } from '../database/database.module.js';

/** What ingestion needs to know about a device: whose it is, what it is, whether it may send. */
export interface DeviceInfo {
  deviceId: string;
  patientId: string;
  kind: DeviceKind;
  active: boolean;
}

/**
 * Device registrations as ingestion reads them, and the batched last-seen update (the registry
 * module has its own repository for the registry's reads and writes).
 */
@Injectable()
export class IngestDeviceRepository {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  async findByIds(deviceIds: readonly string[]): Promise<DeviceInfo[]> {
    const { rows } = await this.pool.query<{ device_id: string; patient_id: string; kind: DeviceKind; active: boolean }>(
      `SELECT device_id, patient_id, kind, active FROM devices WHERE device_id = ANY($1::text[])`,
      [deviceIds],
    );
    return rows.map((r) => ({ deviceId: r.device_id, patientId: r.patient_id, kind: r.kind, active: r.active }));
  }

  /**
   * Moves devices.last_seen_at forward (never back) for many devices in one statement. Ids are
   * sorted so that concurrent updates lock rows in the same order.
   */
  async touchLastSeen(lastSeen: ReadonlyMap<string, number>): Promise<void> {
    if (lastSeen.size === 0) return;
    const ids = [...lastSeen.keys()].sort();
    const times = ids.map((id) => lastSeen.get(id)!);
    await this.pool.query(
      `UPDATE devices d SET last_seen_at = to_timestamp(u.at / 1000)
         FROM unnest($1::text[], $2::float8[]) AS u(device_id, at)
        WHERE d.device_id = u.device_id
          AND (d.last_seen_at IS NULL OR d.last_seen_at < to_timestamp(u.at / 1000))`,
      [ids, times],
    );
  }
}
