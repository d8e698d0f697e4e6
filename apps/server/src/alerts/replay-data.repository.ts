import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import type { RuleSample } from '#rules';
import type { PatientScope } from '../access/patient-scope.js';
import { PG_POOL } from '../database/database-pool.js';
import { POINT_METRICS, toRuleSamples } from './rule-data.repository.js';

/** One chunk of a device's stored samples, ascending. */
export interface SampleChunk {
  deviceId: string;
  samples: RuleSample[];
}

/** Time span of one read: 6 h of 1 Hz oximetry is about 43 000 rows (SpO2 and pulse). */
export const REPLAY_CHUNK_MS = 6 * 3_600_000;

/**
 * Stored samples of one patient for a replay through the rules (the thresholds what-if), read in
 * chunks so that a month of 1 Hz data never sits in memory at once: per device, one range scan of
 * the primary key (device_id, metric, time) per REPLAY_CHUNK_MS, the next chunk starting where the
 * previous one ended (keyset on time). Readings are reached through the patient's device ids and
 * filtered on patient_id, as the trends are (docs/database.md).
 */
@Injectable()
export class ReplayDataRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async deviceIds(patient: PatientScope): Promise<string[]> {
    const { rows } = await this.pool.query<{ device_id: string }>(`SELECT device_id FROM devices WHERE patient_id = $1 ORDER BY device_id`, [patient.id]);
    return rows.map((r) => r.device_id);
  }

  /** The device's samples of the point-rule metrics in [from, to), ascending, chunk after chunk. */
  async *samples(patient: PatientScope, deviceId: string, from: number, to: number, chunkMs = REPLAY_CHUNK_MS): AsyncGenerator<SampleChunk> {
    for (let start = from; start < to; start += chunkMs) {
      const end = Math.min(to, start + chunkMs);
      const { rows } = await this.pool.query<{ time: Date; metric: string; value: number; signal_ok: boolean }>(
        `SELECT time, metric, value, signal_ok FROM readings
          WHERE device_id = $1 AND metric = ANY($2::text[]) AND time >= $3 AND time < $4 AND patient_id = $5
          ORDER BY time`,
        [deviceId, POINT_METRICS, new Date(start), new Date(end), patient.id],
      );
      if (rows.length > 0) yield { deviceId, samples: toRuleSamples(rows) };
    }
  }
}
