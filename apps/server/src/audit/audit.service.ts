import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Pool } from 'pg';
import type { Principal } from '../auth/principal.js';
import { PG_POOL } from '../database/database.module.js';

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

  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async record(entry: AuditEntry, queryable: Pick<Pool, 'query'> = this.pool): Promise<void> {
    await queryable.query(
      `INSERT INTO audit_log (actor_id, actor_role, action, patient_id, target_type, target_id, ip, outcome, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [...entryColumns(entry), entry.details ? JSON.stringify(entry.details) : null],
    );
  }

  /**
   * A login attempt refused before its account was read (rate limit): the same INSERT fills in
   * the account (actor id and role) when `username` names one, so the attempt is traced to it.
   */
  async recordLoginAttempt(username: string, entry: AuditEntry): Promise<void> {
    await this.pool.query(
      `INSERT INTO audit_log (actor_id, actor_role, action, ip, outcome, details)
       SELECT u.id, u.role, $2, $3, $4, $5 FROM (SELECT 1) AS attempt LEFT JOIN users u ON u.username = $1`,
      [username, entry.action, entry.actor?.ip ?? null, entry.outcome ?? 'denied', entry.details ? JSON.stringify(entry.details) : null],
    );
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
    const details = Array.from({ length: parts }, (_, i) =>
      JSON.stringify({
        ...entry.details,
        patientIds: ids.slice(i * AUDIT_PATIENT_IDS_PER_ENTRY, (i + 1) * AUDIT_PATIENT_IDS_PER_ENTRY),
        ...(parts > 1 ? { part: i + 1, parts } : {}),
      }),
    );
    try {
      await this.pool.query(
        `INSERT INTO audit_log (actor_id, actor_role, action, patient_id, target_type, target_id, ip, outcome, details)
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, d.details::jsonb FROM unnest($9::text[]) WITH ORDINALITY AS d(details, n) ORDER BY d.n`,
        [...entryColumns(entry), details],
      );
    } catch (err) {
      this.logger.error({ err, action: entry.action }, 'audit write failed');
      throw err;
    }
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

/** actor_id, actor_role, action, patient_id, target_type, target_id, ip, outcome: the columns before details. */
function entryColumns(entry: AuditEntry): unknown[] {
  return [
    entry.actor?.userId ?? null,
    entry.actor?.role ?? null,
    entry.action,
    entry.patientId ?? null,
    entry.targetType ?? null,
    entry.targetId ?? null,
    entry.actor?.ip ?? null,
    entry.outcome ?? 'success',
  ];
}
