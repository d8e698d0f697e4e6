import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type Repository } from 'typeorm';
import { PatientEntity } from '../registry/registry.entities.js';

/** The columns of a patient that the access gate hands to its callers. */
export type PatientRecord = Pick<
  PatientEntity,
  | 'id'
  | 'displayName'
  | 'profile'
  | 'careTeamId'
  | 'timezone'
  | 'ins'
  | 'insOid'
  | 'identityStatus'
  | 'birthName'
  | 'usedName'
  | 'firstNames'
  | 'birthDate'
  | 'sex'
  | 'birthplaceCode'
>;

/** The columns of PatientRecord (also the registry's: one list). */
export const PATIENT_RECORD_COLUMNS = {
  id: true,
  displayName: true,
  profile: true,
  careTeamId: true,
  timezone: true,
  ins: true,
  insOid: true,
  identityStatus: true,
  birthName: true,
  usedName: true,
  firstNames: true,
  birthDate: true,
  sex: true,
  birthplaceCode: true,
} as const;
const RECORD_COLUMNS = PATIENT_RECORD_COLUMNS;

/** The access gate's reads: patients by care team (TypeORM). */
@Injectable()
export class PatientAccessRepository {
  constructor(@InjectRepository(PatientEntity) private readonly patients: Repository<PatientEntity>) {}

  /** The patient, if it belongs to one of `careTeamIds`. */
  async findInTeams(patientId: string, careTeamIds: string[]): Promise<PatientRecord | null> {
    if (careTeamIds.length === 0) return null;
    return this.patients.findOne({ select: RECORD_COLUMNS, where: { id: patientId, careTeamId: In(careTeamIds) } });
  }

  /** Every patient (the operator's activity, for an admin). */
  async listAll(): Promise<PatientRecord[]> {
    return this.patients.find({ select: RECORD_COLUMNS, order: { displayName: 'ASC' } });
  }

  async listInTeams(careTeamIds: string[]): Promise<PatientRecord[]> {
    if (careTeamIds.length === 0) return [];
    return this.patients.find({ select: RECORD_COLUMNS, where: { careTeamId: In(careTeamIds) }, order: { displayName: 'ASC' } });
  }
}
