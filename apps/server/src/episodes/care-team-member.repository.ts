import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '../database/database.module.js';

/** Who may prescribe for a patient: an active physician of the patient's care team. */
@Injectable()
export class CareTeamMemberRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /** `userId` must be a UUID (checked by the DTO). */
  async isActivePhysicianOf(userId: string, careTeamId: string): Promise<boolean> {
    const { rows } = await this.pool.query(
      `SELECT 1 FROM users u JOIN user_care_teams m ON m.user_id = u.id
        WHERE u.id = $1 AND m.care_team_id = $2 AND u.role = 'physician' AND u.active`,
      [userId, careTeamId],
    );
    return rows.length > 0;
  }
}
