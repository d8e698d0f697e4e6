import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '../database/database.module.js';
import type { AuditEntryView, RejectionView } from './admin-query.dto.js';

export interface Page {
  since?: Date;
  limit: number;
}

/** Read side of the audit log and of the dead letters (rejections), newest first. */
@Injectable()
export class AdminLogRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async audit(filter: Page & { beforeId?: string; patientId?: string; actorId?: string; action?: string }): Promise<AuditEntryView[]> {
    const exact = filter.action && !filter.action.endsWith('*') ? filter.action : null;
    // The pattern allows no LIKE wildcards but `_`, escaped here.
    const prefix = filter.action?.endsWith('*') ? filter.action.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`) + '%' : null;
    const { rows } = await this.pool.query<AuditEntryView>(
      `SELECT id::text AS id, at, actor_id AS "actorId", actor_role AS "actorRole", action, patient_id AS "patientId",
              target_type AS "targetType", target_id AS "targetId", ip, outcome, details
         FROM audit_log
        WHERE ($1::uuid IS NULL OR patient_id = $1 OR details->'patientIds' ? $1::text)
          AND ($2::uuid IS NULL OR actor_id = $2)
          AND ($3::text IS NULL OR action = $3)
          AND ($4::text IS NULL OR action LIKE $4)
          AND ($5::timestamptz IS NULL OR at >= $5)
          AND ($6::bigint IS NULL OR id < $6)
        ORDER BY id DESC
        LIMIT $7`,
      [filter.patientId ?? null, filter.actorId ?? null, exact, prefix, filter.since ?? null, filter.beforeId ?? null, filter.limit],
    );
    return rows;
  }

  async rejections(filter: Page & { deviceId?: string }): Promise<RejectionView[]> {
    const { rows } = await this.pool.query<RejectionView>(
      `SELECT id::text AS id, device_id AS "deviceId", topic, reason, detail, received_at AS "receivedAt", excerpt
         FROM rejections
        WHERE ($1::text IS NULL OR device_id = $1)
          AND ($2::timestamptz IS NULL OR received_at >= $2)
        ORDER BY received_at DESC, id DESC
        LIMIT $3`,
      [filter.deviceId ?? null, filter.since ?? null, filter.limit],
    );
    return rows;
  }
}
