import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import type { PatientScope } from '../access/patient-scope.js';
import { ReviewEntity } from './episode.entities.js';

/** Reviews (TypeORM), always of one patient (its PatientScope). */
@Injectable()
export class ReviewRepository {
  constructor(@InjectRepository(ReviewEntity) private readonly reviews: Repository<ReviewEntity>) {}

  async insert(manager: EntityManager, patient: PatientScope, r: { authorId: string; note: string; outcome: string | null }): Promise<ReviewEntity> {
    const repo = manager.getRepository(ReviewEntity);
    const saved = await repo.insert({ ...r, patientId: patient.id });
    return repo.findOneOrFail({ where: { id: saved.identifiers[0]!.id as string } });
  }

  /** The time of each patient's latest review (patients without one are absent). */
  async lastOfPatients(patients: readonly PatientScope[]): Promise<Map<string, Date>> {
    if (patients.length === 0) return new Map();
    const rows = await this.reviews
      .createQueryBuilder('r')
      .select('r.patient_id', 'patientId')
      .addSelect('max(r.at)', 'at')
      .where('r.patient_id IN (:...ids)', { ids: patients.map((p) => p.id) })
      .groupBy('r.patient_id')
      .getRawMany<{ patientId: string; at: Date }>();
    return new Map(rows.map((r) => [r.patientId, new Date(r.at)]));
  }

  /** Newest first. */
  async listOfPatient(patient: PatientScope): Promise<ReviewEntity[]> {
    return this.reviews.find({ where: { patientId: patient.id }, order: { at: 'DESC', id: 'ASC' } });
  }
}
