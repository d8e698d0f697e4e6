import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import type { SampleMetric } from '#domain';
import { PG_POOL } from '../database/database.module.js';
import type { DeviceEntity } from '../registry/registry.entities.js';
import type { PatientIdentity } from './fhir-patient.js';
import type { RawReading } from './fhir-resources.js';
import type { PatientScope } from '../access/patient-scope.js';
import { PATIENT_DEVICE_IDS_SQL } from '../database/patient-device-ids.js';

export interface ReadingsPage {
  patient: PatientScope;
  metrics: SampleMetric[];
  from?: Date;
  to?: Date;
  /** Keyset position: after (time in µs, metric, device id). */
  after?: { timeUs: string; metric: string; deviceId: string };
  limit: number;
}

/** What the FHIR Device resource shows of a device. */
export type DeviceRow = Pick<DeviceEntity, 'deviceId' | 'kind' | 'patientId' | 'active' | 'firmware'>;

/** Reads for the FHIR export. */
@Injectable()
export class FhirRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /**
   * One page of the patient's valid samples ordered by (time, metric, device). One ordered index
   * range scan per (device, metric) of the primary key, each stopped after `limit` rows, then
   * merged: a page costs O(limit × devices × metrics), whatever the history's length.
   */
  async readingsPage(q: ReadingsPage): Promise<RawReading[]> {
    if (q.metrics.length === 0) return [];
    const { rows } = await this.pool.query<{ device_id: string; metric: SampleMetric; time: Date; value: number; us: string }>(
      `WITH cur AS (SELECT TIMESTAMPTZ '1970-01-01 00:00:00+00' + $5::bigint * INTERVAL '1 microsecond' AS t)
       SELECT x.device_id, x.metric, x.time, x.value, x.us
         FROM unnest(ARRAY(${PATIENT_DEVICE_IDS_SQL})) AS d(device_id)
        CROSS JOIN unnest($2::text[]) AS m(metric)
        CROSS JOIN cur
        CROSS JOIN LATERAL (
          SELECT r.device_id, r.metric, r.time, r.value, (EXTRACT(epoch FROM r.time) * 1000000)::bigint::text AS us
            FROM readings r
           WHERE r.device_id = d.device_id AND r.metric = m.metric
             AND r.time >= GREATEST(COALESCE($3::timestamptz, '-infinity'), cur.t)
             AND r.time < COALESCE($4::timestamptz, 'infinity')
             AND (cur.t IS NULL OR r.time > cur.t OR (r.metric, r.device_id) > ($6::text, $7::text))
             AND r.patient_id = $1 AND r.signal_ok
           ORDER BY r.time
           LIMIT $8
        ) x
        ORDER BY x.time, x.metric, x.device_id
        LIMIT $8`,
      [q.patient.id, q.metrics, q.from ?? null, q.to ?? null, q.after?.timeUs ?? null, q.after?.metric ?? null, q.after?.deviceId ?? null, q.limit],
    );
    return rows.map((r) => ({ deviceId: r.device_id, metric: r.metric, time: r.time, timeUs: r.us, value: r.value }));
  }

  /** The identity traits the FHIR Patient shows (fhir-patient.ts decides what of them may leave). */
  async patientIdentity(patient: PatientScope): Promise<PatientIdentity | undefined> {
    const { rows } = await this.pool.query<PatientIdentity>(
      `SELECT id, display_name AS "displayName", ins, ins_oid AS "insOid", identity_status AS "identityStatus",
              birth_name AS "birthName", used_name AS "usedName", first_names AS "firstNames",
              to_char(birth_date, 'YYYY-MM-DD') AS "birthDate", sex, birthplace_code AS "birthplaceCode"
         FROM patients WHERE id = $1`,
      [patient.id],
    );
    return rows[0];
  }

  async device(deviceId: string): Promise<DeviceRow | undefined> {
    const { rows } = await this.pool.query<DeviceRow>(
      `SELECT device_id AS "deviceId", kind, patient_id AS "patientId", active, firmware FROM devices WHERE device_id = $1`,
      [deviceId],
    );
    return rows[0];
  }
}
