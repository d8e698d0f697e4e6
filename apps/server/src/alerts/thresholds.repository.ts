import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import type { RuleOverrides } from '#rules';
import { PatientThresholdsEntity } from './alert.entities.js';

/** What is stored of a patient's thresholds (settings unparsed: see RuleDataRepository.parseOverrides). */
export type StoredThresholds = Pick<PatientThresholdsEntity, 'settings' | 'updatedBy' | 'updatedAt'>;

/** The physician's per-patient rule parameters (patient_thresholds), on TypeORM. */
@Injectable()
export class ThresholdsRepository {
  constructor(@InjectRepository(PatientThresholdsEntity) private readonly thresholds: Repository<PatientThresholdsEntity>) {}

  async find(patientId: string): Promise<StoredThresholds | null> {
    return this.thresholds.findOne({ select: { settings: true, updatedBy: true, updatedAt: true }, where: { patientId } });
  }

  /**
   * Replaces the patient's overrides in the caller's transaction and returns the settings they
   * replace ({} when none). The row lock (when there is a row) keeps two concurrent PUTs from
   * both recording the same "before".
   */
  async replace(db: EntityManager, patientId: string, settings: RuleOverrides, userId: string): Promise<unknown> {
    const before = await db.findOne(PatientThresholdsEntity, { select: { settings: true }, where: { patientId }, lock: { mode: 'pessimistic_write' } });
    await db.upsert(PatientThresholdsEntity, { patientId, settings, updatedBy: userId, updatedAt: () => 'now()' }, { conflictPaths: ['patientId'] });
    return before?.settings ?? {};
  }
}
