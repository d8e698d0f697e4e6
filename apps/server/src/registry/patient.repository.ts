import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { QueryDeepPartialEntity, Repository } from 'typeorm';
import { PATIENT_RECORD_COLUMNS, type PatientRecord } from '../access/patient-access.repository.js';
import type { Tx } from '../database/transaction.js';
import { PatientEntity } from './registry.entities.js';

/** A patient's registry fields (no clinical data). */
export type { PatientRecord };

export type NewPatient = Omit<PatientRecord, 'id'>;

/** What PATCH /api/patients/:id may change (CONTRACT §8). */
export type PatientChanges = Partial<Omit<PatientRecord, 'id'>>;

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
    return (await repo.findOne({ select: PATIENT_RECORD_COLUMNS, where: { id } })) ?? undefined;
  }

  /** The patient, its row locked for the rest of the transaction (concurrent PATCHes apply one after the other). */
  async lockForUpdate(id: string, tx: Tx): Promise<PatientRecord | undefined> {
    const found = await tx.manager
      .getRepository(PatientEntity)
      .findOne({ select: PATIENT_RECORD_COLUMNS, where: { id }, lock: { mode: 'pessimistic_write' } });
    return found ?? undefined;
  }

  async update(id: string, changes: PatientChanges, tx: Tx): Promise<void> {
    if (Object.keys(changes).length === 0) return;
    await tx.manager.getRepository(PatientEntity).update({ id }, changes as QueryDeepPartialEntity<PatientEntity>);
  }

  listAll(): Promise<PatientRecord[]> {
    return this.patients.find({ select: PATIENT_RECORD_COLUMNS, order: { displayName: 'ASC', id: 'ASC' } });
  }
}
