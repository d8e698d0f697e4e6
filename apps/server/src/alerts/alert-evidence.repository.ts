import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import type { PatientScope } from '../access/patient-scope.js';
import { PG_POOL } from '../database/database-pool.js';

/** At most this many samples in an evidence (an hour of 1 Hz); `truncated` says when more were in the window. */
export const EVIDENCE_MAX_SAMPLES = 3600;

/** Reads of an alert's evidence: the deciding device's samples of the window, patient-scoped. */
@Injectable()
export class AlertEvidenceRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /** The device of the alert (null: a patient-level rule). */
  async alertDevice(alertId: string): Promise<string | null> {
    const { rows } = await this.pool.query<{ device_id: string | null }>(`SELECT device_id FROM alerts WHERE id = $1`, [alertId]);
    return rows[0]?.device_id ?? null;
  }

  /** Valid samples of one metric of the device in [from, to], ascending (at most EVIDENCE_MAX_SAMPLES + 1). */
  async samples(patient: PatientScope, deviceId: string, metric: string, from: number, to: number): Promise<{ at: number; value: number }[]> {
    const { rows } = await this.pool.query<{ time: Date; value: number }>(
      `SELECT time, value FROM readings
        WHERE device_id = $1 AND metric = $2 AND time >= $3 AND time <= $4 AND patient_id = $5 AND signal_ok
        ORDER BY time LIMIT $6`,
      [deviceId, metric, new Date(from), new Date(to), patient.id, EVIDENCE_MAX_SAMPLES + 1],
    );
    return rows.map((r) => ({ at: r.time.getTime(), value: r.value }));
  }
}
