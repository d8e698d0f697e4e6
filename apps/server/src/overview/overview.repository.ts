import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { SAMPLE_METRIC_NAMES } from '#domain';
import type { PatientScope } from '../access/patient-scope.js';
import { PG_POOL } from '../database/database-pool.js';

/** What the population view reads itself: the time of each patient's newest data. */
@Injectable()
export class OverviewRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /**
   * Per patient, the time of the newest stored reading (any metric, from the patient's devices:
   * the devices of PATIENT_DEVICE_IDS_SQL, current and past assignments) or the end of the newest
   * session, whichever is later; absent without any. One statement for all patients: one backward
   * probe of the readings' key (device_id, metric, time) per device and metric.
   */
  async lastDataAt(patients: readonly PatientScope[]): Promise<Map<string, Date>> {
    const result = new Map<string, Date>();
    if (patients.length === 0) return result;
    const { rows } = await this.pool.query<{ id: string; at: Date | null }>(
      `WITH p AS (SELECT unnest($1::uuid[]) AS id),
            pd AS (SELECT p.id, d.device_id FROM p CROSS JOIN LATERAL (
                     SELECT device_id FROM devices WHERE patient_id = p.id
                     UNION SELECT device_id FROM device_assignments WHERE patient_id = p.id) AS d),
            r AS (SELECT pd.id, max(x.time) AS at
                    FROM pd CROSS JOIN unnest($2::text[]) AS m(metric)
                    CROSS JOIN LATERAL (SELECT time FROM readings
                                         WHERE device_id = pd.device_id AND metric = m.metric AND patient_id = pd.id
                                         ORDER BY time DESC LIMIT 1) AS x
                   GROUP BY pd.id),
            s AS (SELECT patient_id AS id, max(end_at) AS at FROM night_sessions WHERE patient_id = ANY($1::uuid[]) GROUP BY patient_id)
       SELECT p.id, GREATEST(r.at, s.at) AS at FROM p LEFT JOIN r ON r.id = p.id LEFT JOIN s ON s.id = p.id`,
      [patients.map((p) => p.id), SAMPLE_METRIC_NAMES],
    );
    for (const r of rows) if (r.at) result.set(r.id, r.at);
    return result;
  }
}
