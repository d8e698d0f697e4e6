import { Inject, Injectable } from '@nestjs/common';
import pg, { type Pool } from 'pg';
import type { RuleSample } from '#rules';
import type { PatientScope } from '../access/patient-scope.js';
import { PG_POOL } from '../database/database-pool.js';
import { POINT_METRICS } from './rule-data.repository.js';

/** One chunk of a device's stored samples, ascending by time, one per timestamp. */
export interface SampleChunk {
  deviceId: string;
  samples: RuleSample[];
}

/** Time span of one read: 6 h of 1 Hz oximetry is 21 600 samples (43 200 readings rows). */
export const REPLAY_CHUNK_MS = 6 * 3_600_000;

const FLOAT8_ARRAY_OID = 1022;
/** float8[] columns come back as their text, split here (about 10x faster than one row per reading). */
const ARRAYS_AS_TEXT = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === FLOAT8_ARRAY_OID ? (v: string) => v : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** A float8[] in text form ("{1,NULL,2.5}") as numbers, NULL as undefined. */
function floats(text: string | null): (number | undefined)[] {
  if (!text || text === '{}') return [];
  return text
    .slice(1, -1)
    .split(',')
    .map((v) => (v === 'NULL' ? undefined : Number(v)));
}

/**
 * Stored samples of one patient for a replay through the rules (the thresholds what-if), read in
 * chunks so that a month of 1 Hz data never sits in memory at once: per device, one range scan of
 * the primary key (device_id, metric, time) per REPLAY_CHUNK_MS, the next chunk starting where the
 * previous one ended (keyset on time). Readings are reached through the patient's device ids and
 * filtered on patient_id, as the trends are (docs/database.md). The rows of one timestamp (one per
 * metric) are grouped in SQL into one sample, and a chunk travels as five arrays (time offsets,
 * SpO2, pulse, O2 flow, signal), not as 40 000 rows: the what-if replays a month in seconds.
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
      const { rows } = await this.pool.query<{ t: string | null; spo2: string | null; pulse: string | null; o2: string | null; ok: string | null }>({
        types: ARRAYS_AS_TEXT,
        text: `SELECT array_agg(date_part('epoch', s.time - $3::timestamptz) * 1000 ORDER BY s.time) AS t,
                      array_agg(s.spo2 ORDER BY s.time) AS spo2, array_agg(s.pulse ORDER BY s.time) AS pulse,
                      array_agg(s.o2 ORDER BY s.time) AS o2, array_agg(s.ok ORDER BY s.time) AS ok
                 FROM (SELECT time,
                              max(value) FILTER (WHERE metric = 'spo2') AS spo2,
                              max(value) FILTER (WHERE metric = 'pulseRate') AS pulse,
                              max(value) FILTER (WHERE metric = 'o2Flow') AS o2,
                              bool_and(signal_ok)::int::float8 AS ok
                         FROM readings
                        WHERE device_id = $1 AND metric = ANY($2::text[]) AND time >= $3 AND time < $4 AND patient_id = $5
                        GROUP BY time) s`,
        values: [deviceId, POINT_METRICS, new Date(start), new Date(end), patient.id],
      });
      const r = rows[0];
      if (!r?.t) continue;
      const t = floats(r.t);
      const [spo2, pulse, o2, ok] = [floats(r.spo2), floats(r.pulse), floats(r.o2), floats(r.ok)];
      const samples: RuleSample[] = new Array(t.length);
      for (let i = 0; i < t.length; i++) {
        const values: RuleSample['values'] = {};
        if (spo2[i] !== undefined) values.spo2 = spo2[i];
        if (pulse[i] !== undefined) values.pulseRate = pulse[i];
        if (o2[i] !== undefined) values.o2Flow = o2[i];
        samples[i] = { at: start + Math.round(t[i]!), values, signalOk: ok[i] === 1 };
      }
      yield { deviceId, samples };
    }
  }
}
