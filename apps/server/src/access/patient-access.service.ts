import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import type { PatientProfile } from '#domain';
import { AppError } from '../common/app-error.js';
import { PG_POOL } from '../database/database.module.js';
import type { Principal } from '../auth/principal.js';
import { issuePatientScope, type PatientScope } from './patient-scope.js';

/** A patient the caller may see; also the PatientScope the patient-data repositories require. */
export interface VisiblePatient extends PatientScope {
  readonly id: string;
  displayName: string;
  ins: string | null;
  profile: PatientProfile;
  careTeamId: string;
  timezone: string;
}

type PatientRow = Omit<VisiblePatient, keyof PatientScope> & { id: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The one gate to patient data: a patient is visible to a professional only through a care team
 * they belong to. Every patient-scoped read starts here (or joins on `careTeamScope`), and a
 * patient outside the caller's teams is reported exactly like one that does not exist: 404.
 */
@Injectable()
export class PatientAccessService {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async requireVisible(principal: Principal, patientId: string): Promise<VisiblePatient> {
    if (!UUID.test(patientId) || principal.careTeamIds.length === 0) throw AppError.notFound('patient');
    const { rows } = await this.pool.query<PatientRow>(
      `SELECT id, display_name AS "displayName", ins, profile, care_team_id AS "careTeamId", timezone
         FROM patients WHERE id = $1 AND care_team_id = ANY($2::uuid[])`,
      [patientId, principal.careTeamIds],
    );
    if (!rows[0]) throw AppError.notFound('patient');
    return issuePatientScope(rows[0]);
  }

  async listVisible(principal: Principal): Promise<VisiblePatient[]> {
    const { rows } = await this.pool.query<PatientRow>(
      `SELECT id, display_name AS "displayName", ins, profile, care_team_id AS "careTeamId", timezone
         FROM patients WHERE care_team_id = ANY($1::uuid[]) ORDER BY display_name`,
      [principal.careTeamIds],
    );
    return rows.map(issuePatientScope);
  }

  /** Physicians of a patient: physicians who are members of the patient's care team. */
  async physiciansOf(patientId: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      `SELECT u.id FROM users u JOIN user_care_teams m ON m.user_id = u.id JOIN patients p ON p.care_team_id = m.care_team_id
        WHERE p.id = $1 AND u.role = 'physician' AND u.active`,
      [patientId],
    );
    return rows.map((r) => r.id);
  }
}

export function isUuid(value: string): boolean {
  return UUID.test(value);
}
