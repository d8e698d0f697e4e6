import { Injectable } from '@nestjs/common';
import type { AlertStatus, AlertView } from '#domain';
import { PatientAccessService } from '../access/patient-access.service.js';
import { AuditService } from '../audit/audit.service.js';
import type { Principal } from '../auth/principal.js';
import { AppError } from '../common/app-error.js';
import { ALERT_SELECT, AlertRepository, toAlertView, type AlertRow } from './alert.repository.js';

/** Reads of alerts, always scoped to the caller's care teams (404 outside), audited. */
@Injectable()
export class AlertQueryService {
  constructor(
    private readonly alerts: AlertRepository,
    private readonly access: PatientAccessService,
    private readonly audit: AuditService,
  ) {}

  async list(
    principal: Principal,
    q: { status?: AlertStatus; patientId?: string; limit?: number; from?: string; to?: string; beforeId?: string },
  ): Promise<AlertView[]> {
    if (q.patientId) await this.access.requireVisible(principal, q.patientId);
    const { rows } = await this.alerts.pool.query<AlertRow>(
      `${ALERT_SELECT}
        WHERE p.care_team_id = ANY($1::uuid[])
          AND ($2::text IS NULL OR a.status = $2)
          AND ($3::uuid IS NULL OR a.patient_id = $3)
          AND ($5::timestamptz IS NULL OR a.resolved_at IS NULL OR a.resolved_at >= $5)
          AND ($6::timestamptz IS NULL OR a.started_at < $6)
          AND ($7::bigint IS NULL OR a.id < $7)
        ORDER BY a.id DESC LIMIT $4`,
      [principal.careTeamIds, q.status ?? null, q.patientId ?? null, q.limit ?? 200, q.from ?? null, q.to ?? null, q.beforeId ?? null],
    );
    // With or without a patientId filter: the ids of the patients whose alerts were returned.
    await this.audit.recordPatientsRead(
      { action: 'alert.list', actor: principal, patientId: q.patientId ?? null, targetType: 'alert', details: { status: q.status ?? null, count: rows.length } },
      rows.map((r) => r.patient_id),
    );
    return rows.map(toAlertView);
  }

  async get(principal: Principal, id: string): Promise<AlertView> {
    const row = await this.alerts.findById(id);
    if (!row || !principal.careTeamIds.includes(row.care_team_id)) throw AppError.notFound('alert');
    await this.audit.recordRead({ action: 'alert.read', actor: principal, patientId: row.patient_id, targetType: 'alert', targetId: row.id });
    return toAlertView(row);
  }
}
