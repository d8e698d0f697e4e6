import { Inject, Injectable } from '@nestjs/common';
import type { DeviceKind } from '#domain';
import type pg from 'pg';
import { PG_POOL } from '../database/database.module.js';

/** What ingestion needs to know about a device: whose it is, what it is, whether it may send. */
export interface DeviceInfo {
  deviceId: string;
  /** The current patient: from `since` (absent: since registration). */
  patientId: string;
  kind: DeviceKind;
  active: boolean;
  since?: number;
  /** Earlier patients, by ascending `until` (epoch ms): the device was theirs before `until`. */
  earlier?: readonly { patientId: string; until: number }[];
}

/** The patient a sample taken at `at` belongs to (a late reading of before a reassignment stays with the first patient). */
export function patientAt(device: DeviceInfo, at: number): string {
  if (device.since === undefined || at >= device.since || !device.earlier) return device.patientId;
  for (const e of device.earlier) if (at < e.until) return e.patientId;
  return device.patientId;
}

/**
 * Device registrations as ingestion reads them, and the batched last-seen update (the registry
 * module has its own repository for the registry's reads and writes).
 */
@Injectable()
export class IngestDeviceRepository {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  async findByIds(deviceIds: readonly string[]): Promise<DeviceInfo[]> {
    type Row = { device_id: string; patient_id: string; kind: DeviceKind; active: boolean; since: number | null; earlier: { patientId: string; until: number }[] | null };
    const { rows } = await this.pool.query<Row>(
      `SELECT d.device_id, d.patient_id, d.kind, d.active, (extract(epoch FROM d.assigned_from) * 1000)::float8 AS since,
              CASE WHEN d.assigned_from IS NOT NULL THEN
                (SELECT json_agg(json_build_object('patientId', a.patient_id, 'until', extract(epoch FROM a.until_at) * 1000) ORDER BY a.until_at)
                   FROM device_assignments a WHERE a.device_id = d.device_id)
              END AS earlier
         FROM devices d WHERE d.device_id = ANY($1::text[])`,
      [deviceIds],
    );
    return rows.map((r) => ({
      deviceId: r.device_id,
      patientId: r.patient_id,
      kind: r.kind,
      active: r.active,
      ...(r.since !== null ? { since: r.since } : {}),
      ...(r.earlier ? { earlier: r.earlier.map((e) => ({ patientId: e.patientId, until: Number(e.until) })) } : {}),
    }));
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
