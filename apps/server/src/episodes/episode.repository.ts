import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type EntityManager, type Repository } from 'typeorm';
import type { PatientScope } from '../access/patient-scope.js';
import type { Queryable } from '../database/transaction.js';
import { AppError } from '../common/app-error.js';
import { EpisodeEntity, type Indication } from './episode.entities.js';

export interface NewEpisode {
  indication: Indication;
  prescriberId: string;
  startDate: string;
  plannedEndDate: string | null;
  createdBy: string;
}

function pgCode(err: unknown): { code?: string; constraint?: string } {
  const e = err as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  return { code: e?.driverError?.code ?? e?.code, constraint: e?.driverError?.constraint ?? e?.constraint };
}

/** Episodes (TypeORM). Reads and writes of one patient take its PatientScope. */
@Injectable()
export class EpisodeRepository {
  constructor(@InjectRepository(EpisodeEntity) private readonly episodes: Repository<EpisodeEntity>) {}

  /** The patient an episode belongs to (to pass the access gate), or undefined. `id` must be a UUID. */
  async patientOf(id: string): Promise<string | undefined> {
    const found = await this.episodes.findOne({ select: { id: true, patientId: true }, where: { id } });
    return found?.patientId;
  }

  async findOfPatient(patient: PatientScope, id: string, manager?: EntityManager): Promise<EpisodeEntity | null> {
    return (manager?.getRepository(EpisodeEntity) ?? this.episodes).findOne({ where: { id, patientId: patient.id } });
  }

  /** Newest first. */
  async listOfPatient(patient: PatientScope): Promise<EpisodeEntity[]> {
    return this.episodes.find({ where: { patientId: patient.id }, order: { startDate: 'DESC', createdAt: 'DESC' } });
  }

  /** The episodes of these patients whose dates overlap [from, to] (an active one: no end yet). */
  async overlapping(patients: readonly PatientScope[], from: string, to: string): Promise<EpisodeEntity[]> {
    if (patients.length === 0) return [];
    return this.episodes
      .createQueryBuilder('e')
      .where('e.patientId IN (:...ids)', { ids: patients.map((p) => p.id) })
      .andWhere('e.startDate <= :to', { to })
      .andWhere('(e.endDate IS NULL OR e.endDate >= :from)', { from })
      .orderBy('e.patientId')
      .addOrderBy('e.startDate')
      .getMany();
  }

  async active(patient: PatientScope): Promise<EpisodeEntity | null> {
    return this.episodes.findOne({ where: { patientId: patient.id, status: 'active' } });
  }

  /** The active episode of each of these patients that has one (one query for a list). */
  async activeOfPatients(patients: readonly PatientScope[]): Promise<Map<string, EpisodeEntity>> {
    if (patients.length === 0) return new Map();
    const rows = await this.episodes.find({ where: { patientId: In(patients.map((p) => p.id)), status: 'active' } });
    return new Map(rows.map((e) => [e.patientId, e]));
  }

  /** Inserts an active episode; a second active one for the patient is a 409 (partial unique index). */
  async insert(manager: EntityManager, patient: PatientScope, e: NewEpisode): Promise<EpisodeEntity> {
    const repo = manager.getRepository(EpisodeEntity);
    try {
      const saved = await repo.insert({ ...e, patientId: patient.id, origin: 'prescription', status: 'active' });
      return (await repo.findOneOrFail({ where: { id: saved.identifiers[0]!.id as string } }))!;
    } catch (err) {
      const { code, constraint } = pgCode(err);
      if (code === '23505' && constraint === 'episodes_one_active_per_patient') {
        throw new AppError('EPISODE_ALREADY_ACTIVE', 'the patient already has an active episode: end it first');
      }
      throw err;
    }
  }

  /** Ends an active episode; false when it was no longer active (ended meanwhile). */
  async end(manager: EntityManager, patient: PatientScope, id: string, end: { endDate: string; reason: string; endedBy: string; at: Date }): Promise<boolean> {
    const result = await manager
      .getRepository(EpisodeEntity)
      .update({ id, patientId: patient.id, status: 'active' }, { status: 'ended', endDate: end.endDate, endReason: end.reason, endedBy: end.endedBy, endedAt: end.at });
    return (result.affected ?? 0) === 1;
  }

  /**
   * Seeding (demo): an active episode for each of these patients that has none, prescribed by the
   * first active physician of its care team (none: no episode), the indication from its devices,
   * from the date it was registered. Returns the episodes created.
   */
  async seedActive(db: Queryable, patientIds: readonly string[]): Promise<{ id: string; patientId: string }[]> {
    const { rows } = await db.query<{ id: string; patientId: string }>(
      `WITH candidates AS (
         SELECT p.id AS patient_id, (p.created_at AT TIME ZONE p.timezone)::date AS start_date,
                (SELECT u.id FROM users u JOIN user_care_teams m ON m.user_id = u.id
                  WHERE m.care_team_id = p.care_team_id AND u.role = 'physician' AND u.active ORDER BY u.username LIMIT 1) AS prescriber_id,
                CASE WHEN bool_or(d.kind = 'ventilator') AND bool_or(d.kind = 'concentrator') THEN 'niv+oxygen'
                     WHEN bool_or(d.kind = 'concentrator') THEN 'oxygen' ELSE 'niv' END AS indication
           FROM patients p LEFT JOIN devices d ON d.patient_id = p.id
          WHERE p.id = ANY($1::uuid[])
          GROUP BY p.id)
       INSERT INTO episodes (patient_id, indication, prescriber_id, origin, start_date)
       SELECT patient_id, indication, prescriber_id, 'prescription', start_date FROM candidates WHERE prescriber_id IS NOT NULL
       ON CONFLICT (patient_id) WHERE status = 'active' DO NOTHING
       RETURNING id, patient_id AS "patientId"`,
      [patientIds],
    );
    return rows;
  }
}
