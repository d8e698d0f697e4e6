import { Injectable } from '@nestjs/common';
import { AuditService, actorOf } from '../audit/audit.service.js';
import type { Principal } from '../auth/principal.js';
import { mapDatabaseError } from '../database/database-errors.js';
import { TransactionRunner } from '../database/transaction.js';
import { CareTeamRepository } from './care-team.repository.js';
import type { CareTeamView } from './registry.views.js';

@Injectable()
export class CareTeamService {
  constructor(
    private readonly transactions: TransactionRunner,
    private readonly teams: CareTeamRepository,
    private readonly audit: AuditService,
  ) {}

  async create(principal: Principal, name: string): Promise<CareTeamView> {
    return this.transactions.run(async (tx) => {
      const team = await this.teams.insert(name, tx).catch(mapDatabaseError);
      await this.audit.record(
        { action: 'registry.care_team.create', actor: actorOf(principal), targetType: 'care_team', targetId: team.id },
        tx,
      );
      return team;
    });
  }

  list(): Promise<CareTeamView[]> {
    return this.teams.list();
  }
}
