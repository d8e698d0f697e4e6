import { Inject, Injectable } from '@nestjs/common';
import { escapeLiteral, type Pool } from 'pg';
import type { RuleSample } from '#rules';
import type { PatientScope } from '../access/patient-scope.js';
import { PG_POOL } from '../database/database-pool.js';
import { copyBinaryBatches } from './copy-binary-stream.js';
import { mergeSampleStreams, type ReplayMetric } from './sample-stream-merge.js';

/** The point rules' metrics, in the order of the value columns of replaySamplesCopySql. */
export const REPLAY_METRICS: readonly ReplayMetric[] = ['spo2', 'pulseRate', 'o2Flow'];

/**
 * THE SQL of the replay's read (kept in this one function so that a schema change touches only
 * it): the device's readings of REPLAY_METRICS in [from, to), as `COPY … TO STDOUT (FORMAT
 * binary)` rows (t = epoch ms float8, one float8 column per metric of which only the row's own is
 * set, signal_ok), ascending by time. One range scan of the primary key (device_id, metric, time)
 * per metric, merged by time in PostgreSQL (Merge Append, no sort: the ORDER BY in each branch
 * is what makes the planner pick the index scans and merge them); filtered on patient_id as the
 * trends are (docs/database.md). A COPY takes no bind parameters: every value is a literal
 * escaped by escapeLiteral.
 */
export function replaySamplesCopySql(patientId: string, deviceId: string, from: number, to: number): string {
  const device = escapeLiteral(deviceId);
  const rows = `time >= ${escapeLiteral(new Date(from).toISOString())}::timestamptz AND time < ${escapeLiteral(new Date(to).toISOString())}::timestamptz AND patient_id = ${escapeLiteral(patientId)}`;
  return `COPY (SELECT t, spo2, pulse, o2, signal_ok FROM (
      (SELECT time, date_part('epoch', time) * 1000 AS t, value::float8 AS spo2, NULL::float8 AS pulse, NULL::float8 AS o2, signal_ok
        FROM readings WHERE device_id = ${device} AND metric = 'spo2' AND ${rows} ORDER BY time)
      UNION ALL
      (SELECT time, date_part('epoch', time) * 1000, NULL::float8, value::float8, NULL::float8, signal_ok
        FROM readings WHERE device_id = ${device} AND metric = 'pulseRate' AND ${rows} ORDER BY time)
      UNION ALL
      (SELECT time, date_part('epoch', time) * 1000, NULL::float8, NULL::float8, value::float8, signal_ok
        FROM readings WHERE device_id = ${device} AND metric = 'o2Flow' AND ${rows} ORDER BY time)
    ) u ORDER BY time) TO STDOUT (FORMAT binary)`;
}

/**
 * Stored samples of one patient for a replay through the rules (the thresholds what-if): the
 * rows stream in from one binary COPY per device (copy-binary-stream.ts, memory bounded by the
 * socket's back-pressure) and are grouped into one sample per timestamp in Node
 * (sample-stream-merge.ts), so a month of 1 Hz data is never held in memory, nor turned into one
 * object per row.
 */
@Injectable()
export class ReplayDataRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async deviceIds(patient: PatientScope): Promise<string[]> {
    const { rows } = await this.pool.query<{ device_id: string }>(`SELECT device_id FROM devices WHERE patient_id = $1 ORDER BY device_id`, [patient.id]);
    return rows.map((r) => r.device_id);
  }

  /**
   * Hands the device's samples of the point-rule metrics in [from, to) to `onSample`, ascending,
   * one per timestamp; returns their number. The sample object is reused from one call to the
   * next: `onSample` must not keep it (the rules do not).
   */
  forEachSample(patient: PatientScope, deviceId: string, from: number, to: number, onSample: (s: RuleSample) => void): Promise<number> {
    const batches = copyBinaryBatches(this.pool, replaySamplesCopySql(patient.id, deviceId, from, to), REPLAY_METRICS.length);
    return mergeSampleStreams([{ metrics: REPLAY_METRICS, batches }], onSample);
  }
}
