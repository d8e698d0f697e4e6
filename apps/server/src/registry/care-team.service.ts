import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { AuditService, actorOf } from '../audit/audit.service.js';
import type { Principal } from '../auth/principal.js';
import { PG_POOL } from '../database/database.module.js';
import { CareTeamRepository } from './care-team.repository.js';
import { inTransaction, mapDatabaseError } from './registry-sql.js';
import type { CareTeamView } from './registry.views.js';

@Injectable()
export class CareTeamService {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly teams: CareTeamRepository,
    private readonly audit: AuditService,
  ) {}

  async create(principal: Principal, name: string): Promise<CareTeamView> {
    return inTransaction(this.pool, async (db) => {
      const team = await this.teams.insert(name, db).catch(mapDatabaseError);
      await this.audit.record(
        { action: 'registry.care_team.create', actor: actorOf(principal), targetType: 'care_team', targetId: team.id },
        db,
      );
      return team;
    });
  }

  list(): Promise<CareTeamView[]> {
    return this.teams.list();
  }
}
