import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { MoreThan, type EntityManager, type Repository } from 'typeorm';
import type { RuleId } from '#domain';
import { RuleSnoozeEntity } from './snooze.entity.js';

/** How long an ended (or expired) snooze stays in the patient's list. */
const RECENT_MS = 7 * 86_400_000;

/** The snoozes of the patients (rule_snoozes), on TypeORM. The rules' read is RuleDataRepository.snoozed. */
@Injectable()
export class SnoozeRepository {
  constructor(@InjectRepository(RuleSnoozeEntity) private readonly snoozes: Repository<RuleSnoozeEntity>) {}

  /**
   * Locks the patient's row for the caller's transaction, so that two requests snoozing the same
   * rule at once are serialised and the second one sees the first (SNOOZE_ACTIVE).
   */
  async lockPatient(db: EntityManager, patientId: string): Promise<void> {
    await db.query(`SELECT 1 FROM patients WHERE id = $1 FOR UPDATE`, [patientId]);
  }

  /** The patient's snooze of this rule in force now (not ended, not expired), if any. */
  async findActive(db: EntityManager, patientId: string, rule: RuleId): Promise<RuleSnoozeEntity | null> {
    const rows = await db.query<{ id: string }[]>(
      `SELECT id FROM rule_snoozes WHERE patient_id = $1 AND rule = $2 AND ended_at IS NULL AND until > now() LIMIT 1`,
      [patientId, rule],
    );
    return rows[0] ? db.findOneBy(RuleSnoozeEntity, { id: rows[0].id }) : null;
  }

  async insert(db: EntityManager, row: Pick<RuleSnoozeEntity, 'patientId' | 'rule' | 'until' | 'reason' | 'createdBy'>): Promise<RuleSnoozeEntity> {
    const saved = await db.save(RuleSnoozeEntity, db.create(RuleSnoozeEntity, row));
    return (await db.findOneBy(RuleSnoozeEntity, { id: saved.id }))!;
  }

  async findById(id: string, db: EntityManager = this.snoozes.manager): Promise<RuleSnoozeEntity | null> {
    return db.findOneBy(RuleSnoozeEntity, { id });
  }

  /**
   * Ends a snooze still in force (row locked); null when it had already ended or expired, so two
   * concurrent DELETEs end it once.
   */
  async end(db: EntityManager, id: string, userId: string): Promise<RuleSnoozeEntity | null> {
    // A SELECT around the UPDATE: TypeORM answers a bare UPDATE with [rows, count], a SELECT with rows.
    const rows = await db.query<{ id: string }[]>(
      `WITH ended AS (UPDATE rule_snoozes SET ended_by = $2, ended_at = now() WHERE id = $1 AND ended_at IS NULL AND until > now() RETURNING id)
       SELECT id FROM ended`,
      [id, userId],
    );
    return rows.length > 0 ? this.findById(id, db) : null;
  }

  /** The patient's snoozes in force, then those ended or expired in the last 7 days, newest first. */
  async listRecent(patientId: string, now: Date): Promise<RuleSnoozeEntity[]> {
    const since = new Date(now.getTime() - RECENT_MS);
    const rows = await this.snoozes.find({ where: { patientId, until: MoreThan(since) }, order: { createdAt: 'DESC' } });
    return rows.filter((r) => r.endedAt === null || r.endedAt > since);
  }
}
