import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '../database/database.module.js';
import type { Queryable } from './registry-sql.js';
import type { CareTeamView } from './registry.views.js';

const COLUMNS = `id, name, created_at AS "createdAt"`;

@Injectable()
export class CareTeamRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async insert(name: string, db: Queryable): Promise<CareTeamView> {
    const { rows } = await db.query<CareTeamView>(`INSERT INTO care_teams (name) VALUES ($1) RETURNING ${COLUMNS}`, [name]);
    return rows[0]!;
  }

  async list(): Promise<CareTeamView[]> {
    const { rows } = await this.pool.query<CareTeamView>(`SELECT ${COLUMNS} FROM care_teams ORDER BY name`);
    return rows;
  }

  /** The ids among `ids` that name no care team. */
  async missing(ids: string[], db: Queryable = this.pool): Promise<string[]> {
    if (ids.length === 0) return [];
    const { rows } = await db.query<{ id: string }>(
      `SELECT x.id FROM unnest($1::uuid[]) AS x(id) WHERE NOT EXISTS (SELECT 1 FROM care_teams t WHERE t.id = x.id)`,
      [ids],
    );
    return rows.map((r) => r.id);
  }
}
