import { Injectable, Logger } from '@nestjs/common';
import type { PatientScope } from '../access/patient-scope.js';
import type { Principal } from '../auth/principal.js';
import type { Tx } from '../database/transaction.js';
import { AuditLogRepository, type NewAuditRow } from './audit-log.repository.js';

export interface AuditEntry {
  action: string;
  /** Who: the principal, or just the address for an anonymous attempt. */
  actor?: { userId?: string | null; role?: string | null; ip?: string } | null;
  patientId?: string | null;
  targetType?: string;
  targetId?: string;
  outcome?: 'success' | 'failure' | 'denied';
  /** Free-form context. Never names, INS or measurements: ids and parameters only. */
  details?: Record<string, unknown>;
}

/** The audit log's "who" for a professional's request. */
export function actorOf(principal: Principal): NonNullable<AuditEntry['actor']> {
  return { userId: principal.userId, role: principal.role, ip: principal.ip };
}

/** Patient ids recorded in one audit entry of a read covering several patients (a list). */
export const AUDIT_PATIENT_IDS_PER_ENTRY = 1000;

/**
 * Writes the append-only audit log (who, what, which patient, when, from where).
 * The table refuses UPDATE/DELETE/TRUNCATE through a trigger (see the initial migration), and the
 * application's database role may only SELECT and INSERT it (migrations/…_app-database-role.sql).
 */
@Injectable()
export class AuditService {
  private readonly logger = new Logger('Audit');

  constructor(private readonly log: AuditLogRepository) {}

  /**
   * `tx`: the caller's transaction when the entry must commit or roll back with the change it
   * records; else the entry is written on its own.
   */
  async record(entry: AuditEntry, tx?: Tx): Promise<void> {
    await this.log.insert({ ...rowOf(entry), details: entry.details ?? null }, tx);
  }

  /**
   * A login attempt refused before its account was read (rate limit): the same INSERT fills in
   * the account (actor id and role) when `username` names one, so the attempt is traced to it.
   */
  async recordLoginAttempt(username: string, entry: AuditEntry): Promise<void> {
    await this.log.insertForUsername(username, {
      action: entry.action,
      ip: entry.actor?.ip ?? null,
      outcome: entry.outcome ?? 'denied',
      details: entry.details ?? null,
    });
  }

  /**
   * A read whose answer covers several patients (a list): `details.patientIds` holds the ids of
   * the patients returned, so "who saw patient X" is answered for lists too (docs/security.md).
   * Bounded: at most AUDIT_PATIENT_IDS_PER_ENTRY ids per entry; a longer answer is recorded as
   * several entries (`details.part` of `details.parts`), all in one INSERT.
   */
  async recordPatientsRead(entry: AuditEntry, patientIds: Iterable<string>): Promise<void> {
    const ids = [...new Set(patientIds)];
    const parts = Math.max(1, Math.ceil(ids.length / AUDIT_PATIENT_IDS_PER_ENTRY));
    const details = Array.from({ length: parts }, (_, i) => ({
      ...entry.details,
      patientIds: ids.slice(i * AUDIT_PATIENT_IDS_PER_ENTRY, (i + 1) * AUDIT_PATIENT_IDS_PER_ENTRY),
      ...(parts > 1 ? { part: i + 1, parts } : {}),
    }));
    try {
      await this.log.insertMany(rowOf(entry), details);
    } catch (err) {
      this.logger.error({ err, action: entry.action }, 'audit write failed');
      throw err;
    }
  }

  /**
   * The recorded changes of one kind on one patient before `before`, oldest first (the log is the
   * one record of a change's before and after: thresholds.update).
   */
  async changesOf(patient: PatientScope, action: string, before: Date): Promise<Array<{ at: Date; actorId: string | null; details: Record<string, unknown> | null }>> {
    return (await this.log.successfulOf(patient, action, before)).map(({ at, actorId, details }) => ({ at, actorId, details }));
  }

  /** For reads: an audit failure must be visible, but is logged rather than hiding the answer. */
  async recordRead(entry: AuditEntry): Promise<void> {
    try {
      await this.record(entry);
    } catch (err) {
      this.logger.error({ err, action: entry.action }, 'audit write failed');
      throw err;
    }
  }
}

/** The columns of an entry but its details. */
function rowOf(entry: AuditEntry): Omit<NewAuditRow, 'details'> {
  return {
    actorId: entry.actor?.userId ?? null,
    actorRole: entry.actor?.role ?? null,
    action: entry.action,
    patientId: entry.patientId ?? null,
    targetType: entry.targetType ?? null,
    targetId: entry.targetId ?? null,
    ip: entry.actor?.ip ?? null,
    outcome: entry.outcome ?? 'success',
  };
}
