import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type Repository } from 'typeorm';
import type { PatientScope } from '../access/patient-scope.js';
import { CareTeamEntity, PatientEntity, UserEntity } from '../registry/registry.entities.js';

/** What a report prints of a patient's identity (RNIV), besides what the access gate returns. */
export type PatientIdentity = Pick<PatientEntity, 'ins' | 'insOid' | 'identityStatus' | 'birthName' | 'firstNames' | 'birthDate'>;

/** The reports' reads of names: the patient's identity, professionals and care teams (TypeORM). */
@Injectable()
export class ReportRepository {
  constructor(
    @InjectRepository(PatientEntity) private readonly patients: Repository<PatientEntity>,
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    @InjectRepository(CareTeamEntity) private readonly teams: Repository<CareTeamEntity>,
  ) {}

  async identity(patient: PatientScope): Promise<PatientIdentity> {
    return this.patients.findOneOrFail({
      select: { id: true, ins: true, insOid: true, identityStatus: true, birthName: true, firstNames: true, birthDate: true },
      where: { id: patient.id },
    });
  }

  /** Display name (else username) of each user id given. */
  async userNames(ids: Iterable<string | null>): Promise<Map<string, string>> {
    const wanted = [...new Set([...ids].filter((id): id is string => !!id))];
    if (wanted.length === 0) return new Map();
    const rows = await this.users.find({ select: { id: true, username: true, displayName: true }, where: { id: In(wanted) } });
    return new Map(rows.map((u) => [u.id, u.displayName ?? u.username]));
  }

  async teamNames(ids: Iterable<string>): Promise<Map<string, string>> {
    const wanted = [...new Set(ids)];
    if (wanted.length === 0) return new Map();
    const rows = await this.teams.find({ select: { id: true, name: true }, where: { id: In(wanted) } });
    return new Map(rows.map((t) => [t.id, t.name]));
  }
}
