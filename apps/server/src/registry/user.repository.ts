import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import type { Role } from '#domain';
import { PG_POOL } from '../database/database.module.js';
import type { Queryable } from './registry-sql.js';
import type { UserView } from './registry.views.js';

export interface NewUser {
  username: string;
  passwordHash: string;
  role: Role;
  displayName: string | null;
  nationalId: string | null;
}

const VIEW = `SELECT u.id, u.username, u.role, u.display_name AS "displayName", u.national_id AS "nationalId", u.active,
                     (u.locked_until IS NOT NULL AND u.locked_until > now()) AS locked,
                     COALESCE((SELECT array_agg(m.care_team_id::text ORDER BY m.care_team_id) FROM user_care_teams m WHERE m.user_id = u.id), '{}') AS "careTeamIds",
                     u.created_at AS "createdAt"
                FROM users u`;

/** Professionals' accounts and their care-team memberships. Never selects the password hash. */
@Injectable()
export class UserRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async insert(user: NewUser, db: Queryable): Promise<string> {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO users (username, password_hash, role, display_name, national_id) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [user.username, user.passwordHash, user.role, user.displayName, user.nationalId],
    );
    return rows[0]!.id;
  }

  async replaceCareTeams(userId: string, careTeamIds: string[], db: Queryable): Promise<void> {
    await db.query(`DELETE FROM user_care_teams WHERE user_id = $1`, [userId]);
    if (careTeamIds.length > 0) {
      await db.query(`INSERT INTO user_care_teams (user_id, care_team_id) SELECT $1, unnest($2::uuid[])`, [userId, careTeamIds]);
    }
  }

  /** Locks the row for the rest of the transaction; undefined when there is no such user. */
  async lockForUpdate(userId: string, db: Queryable): Promise<{ role: Role; active: boolean } | undefined> {
    const { rows } = await db.query<{ role: Role; active: boolean }>(`SELECT role, active FROM users WHERE id = $1 FOR UPDATE`, [userId]);
    return rows[0];
  }

  /** Deactivates, or reactivates and clears any lock-out. */
  async setActive(userId: string, active: boolean, db: Queryable): Promise<void> {
    await db.query(
      active
        ? `UPDATE users SET active = true, failed_login_count = 0, locked_until = NULL WHERE id = $1`
        : `UPDATE users SET active = false WHERE id = $1`,
      [userId],
    );
  }

  async view(userId: string, db: Queryable = this.pool): Promise<UserView | undefined> {
    const { rows } = await db.query<UserView>(`${VIEW} WHERE u.id = $1`, [userId]);
    return rows[0];
  }

  async list(): Promise<UserView[]> {
    const { rows } = await this.pool.query<UserView>(`${VIEW} ORDER BY u.username`);
    return rows;
  }
}
