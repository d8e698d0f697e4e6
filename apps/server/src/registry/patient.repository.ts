import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import type { PatientProfile } from '#domain';
import { PG_POOL } from '../database/database.module.js';
import type { Queryable } from './registry-sql.js';

/** A patient's registry fields (no clinical data). */
export interface PatientRecord {
  id: string;
  displayName: string;
  ins: string | null;
  profile: PatientProfile;
  careTeamId: string;
  timezone: string;
}

export interface NewPatient {
  displayName: string;
  careTeamId: string;
  profile: PatientProfile;
  ins: string | null;
  timezone: string;
}

const COLUMNS = `id, display_name AS "displayName", ins, profile, care_team_id AS "careTeamId", timezone`;

/**
 * Patients without a care-team filter: for the admin's registry view and for writes. Reads for
 * professionals go through PatientAccessService, which applies the care-team filter.
 */
@Injectable()
export class PatientRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async insert(patient: NewPatient, db: Queryable): Promise<PatientRecord> {
    const { rows } = await db.query<PatientRecord>(
      `INSERT INTO patients (display_name, care_team_id, profile, ins, timezone) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
      [patient.displayName, patient.careTeamId, patient.profile, patient.ins, patient.timezone],
    );
    return rows[0]!;
  }

  /** `id` must be a UUID (checked by the caller). */
  async findById(id: string, db: Queryable = this.pool): Promise<PatientRecord | undefined> {
    const { rows } = await db.query<PatientRecord>(`SELECT ${COLUMNS} FROM patients WHERE id = $1`, [id]);
    return rows[0];
  }

  async listAll(): Promise<PatientRecord[]> {
    const { rows } = await this.pool.query<PatientRecord>(`SELECT ${COLUMNS} FROM patients ORDER BY display_name, id`);
    return rows;
  }
}
