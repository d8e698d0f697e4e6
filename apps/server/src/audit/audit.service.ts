import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Pool } from 'pg';
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

/**
 * Writes the append-only audit log (who, what, which patient, when, from where).
 * The table refuses UPDATE/DELETE/TRUNCATE through a trigger (see the initial migration).
 */
@Injectable()
export class AuditService {
  private readonly logger = new Logger('Audit');

  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async record(entry: AuditEntry, queryable: Pick<Pool, 'query'> = this.pool): Promise<void> {
    await queryable.query(
      `INSERT INTO audit_log (actor_id, actor_role, action, patient_id, target_type, target_id, ip, outcome, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        entry.actor?.userId ?? null,
        entry.actor?.role ?? null,
        entry.action,
        entry.patientId ?? null,
        entry.targetType ?? null,
        entry.targetId ?? null,
        entry.actor?.ip ?? null,
        entry.outcome ?? 'success',
        entry.details ? JSON.stringify(entry.details) : null,
      ],
    );
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
