import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import type { PatientRecord } from '../access/patient-access.repository.js';
import type { Tx } from '../database/transaction.js';
import { PatientEntity } from './registry.entities.js';

/** A patient's registry fields (no clinical data). */
export type { PatientRecord };

export type NewPatient = Omit<PatientRecord, 'id'>;

const RECORD_COLUMNS = { id: true, displayName: true, ins: true, profile: true, careTeamId: true, timezone: true } as const;

/**
 * Patients without a care-team filter: for the admin's registry view and for writes. Reads for
 * professionals go through PatientAccessService, which applies the care-team filter.
 */
@Injectable()
export class PatientRepository {
  constructor(@InjectRepository(PatientEntity) private readonly patients: Repository<PatientEntity>) {}

  async insert(patient: NewPatient, tx: Tx): Promise<PatientRecord> {
    const { identifiers } = await tx.manager.getRepository(PatientEntity).insert({ ...patient });
    return { id: (identifiers[0] as { id: string }).id, ...patient };
  }

  /** `id` must be a UUID (checked by the caller). */
  async findById(id: string, tx?: Tx): Promise<PatientRecord | undefined> {
    const repo = tx ? tx.manager.getRepository(PatientEntity) : this.patients;
    return (await repo.findOne({ select: RECORD_COLUMNS, where: { id } })) ?? undefined;
  }

  listAll(): Promise<PatientRecord[]> {
    return this.patients.find({ select: RECORD_COLUMNS, order: { displayName: 'ASC', id: 'ASC' } });
  }
}
