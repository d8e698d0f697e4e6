import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, type QueryDeepPartialEntity, type Repository } from 'typeorm';
import type { PatientScope } from '../access/patient-scope.js';
import type { Tx } from '../database/transaction.js';
import { AuditLogEntity } from './audit-log.entity.js';

/** An audit entry as it is written: every column but the generated ones (id, at). */
export type NewAuditRow = Omit<AuditLogEntity, 'id' | 'at'>;

const COLUMNS = 'actor_id, actor_role, action, patient_id, target_type, target_id, ip, outcome, details';

function values(row: NewAuditRow): unknown[] {
  return [row.actorId, row.actorRole, row.action, row.patientId, row.targetType, row.targetId, row.ip, row.outcome];
}

/** Writes the append-only audit_log: inserts only, never an update or a delete. */
@Injectable()
export class AuditLogRepository {
  constructor(@InjectRepository(AuditLogEntity) private readonly log: Repository<AuditLogEntity>) {}

  /** `tx`: the caller's transaction, so that the entry commits or rolls back with what it records. */
  async insert(row: NewAuditRow, tx?: Tx): Promise<void> {
    // details is free-form JSON, which TypeORM's deep-partial type cannot follow.
    await (tx ? tx.manager.getRepository(AuditLogEntity) : this.log).insert(row as QueryDeepPartialEntity<AuditLogEntity>);
  }

  /**
   * The successful entries of one action on one patient before `before`, oldest first: the
   * history of a change whose before/after the log records (thresholds.update).
   */
  async successfulOf(patient: PatientScope, action: string, before: Date): Promise<Array<Pick<AuditLogEntity, 'id' | 'at' | 'actorId' | 'details'>>> {
    return this.log.find({
      select: { id: true, at: true, actorId: true, details: true },
      where: { patientId: patient.id, action, outcome: 'success', at: LessThan(before) },
      order: { id: 'ASC' },
    });
  }

  /** Several entries in one statement, in the order given (ids follow it). */
  async insertMany(row: Omit<NewAuditRow, 'details'>, details: Array<Record<string, unknown>>): Promise<void> {
    await this.log.query(
      `INSERT INTO audit_log (${COLUMNS})
       SELECT $1, $2, $3, $4, $5, $6, $7, $8, d.details::jsonb FROM unnest($9::text[]) WITH ORDINALITY AS d(details, n) ORDER BY d.n`,
      [...values({ ...row, details: null }), details.map((d) => JSON.stringify(d))],
    );
  }

  /**
   * An entry about a login attempt on `username`: the same INSERT fills in the account (actor id
   * and role) when the username names one.
   */
  async insertForUsername(username: string, row: Pick<NewAuditRow, 'action' | 'ip' | 'outcome' | 'details'>): Promise<void> {
    await this.log.query(
      `INSERT INTO audit_log (actor_id, actor_role, action, ip, outcome, details)
       SELECT u.id, u.role, $2, $3, $4, $5 FROM (SELECT 1) AS attempt LEFT JOIN users u ON lower(u.username) = lower($1)`,
      [username, row.action, row.ip, row.outcome, row.details === null ? null : JSON.stringify(row.details)],
    );
  }
}
