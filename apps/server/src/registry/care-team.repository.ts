import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type Repository } from 'typeorm';
import type { Tx } from '../database/transaction.js';
import { CareTeamEntity } from './registry.entities.js';
import type { CareTeamView } from './registry.views.js';

@Injectable()
export class CareTeamRepository {
  constructor(@InjectRepository(CareTeamEntity) private readonly teams: Repository<CareTeamEntity>) {}

  async insert(name: string, tx: Tx): Promise<CareTeamView> {
    const { generatedMaps } = await tx.manager.getRepository(CareTeamEntity).insert({ name });
    const generated = generatedMaps[0] as Pick<CareTeamEntity, 'id' | 'createdAt'>;
    return { id: generated.id, name, createdAt: generated.createdAt };
  }

  list(): Promise<CareTeamView[]> {
    return this.teams.find({ order: { name: 'ASC' } });
  }

  /** The ids among `ids` that name no care team. */
  async missing(ids: string[], tx?: Tx): Promise<string[]> {
    if (ids.length === 0) return [];
    const repo = tx ? tx.manager.getRepository(CareTeamEntity) : this.teams;
    const found = new Set((await repo.find({ select: { id: true }, where: { id: In(ids) } })).map((t) => t.id));
    return ids.filter((id) => !found.has(id));
  }
}
