import { Injectable } from '@nestjs/common';
import type { AlertView } from '#domain';
import { PatientAccessService, type VisiblePatient } from '../access/patient-access.service.js';
import { AuditService, actorOf } from '../audit/audit.service.js';
import type { Principal } from '../auth/principal.js';
import { AppError } from '../common/app-error.js';
import { AlertRepository, toAlertView, type AlertListQuery } from './alert.repository.js';

const ALERT_PAGE = 500;

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
    q: AlertListQuery,
  ): Promise<AlertView[]> {
    // A patient filter goes through the gate: 404 and a denied entry outside the caller's teams.
    if (q.patientId) await this.access.check(principal, q.patientId, { action: 'alert.list', details: { status: q.status ?? null } });
    const rows = await this.alerts.listInTeams(principal.careTeamIds, q);
    // With or without a patientId filter: the ids of the patients whose alerts were returned.
    await this.audit.recordPatientsRead(
      { action: 'alert.list', actor: actorOf(principal), patientId: q.patientId ?? null, targetType: 'alert', details: { status: q.status ?? null, count: rows.length } },
      rows.map((r) => r.patientId),
    );
    return rows.map(toAlertView);
  }

  /**
   * Every alert of a patient the caller was given access to that was active during [from, to)
   * (the same filter as GET /api/alerts?from=&to=), oldest first, all pages.
   */
  async activeDuringOf(patient: VisiblePatient, from: Date, to: Date): Promise<AlertView[]> {
    const rows: AlertView[] = [];
    for (let beforeId: string | undefined; ; ) {
      const page = await this.alerts.listInTeams([patient.careTeamId], { patientId: patient.id, from: from.toISOString(), to: to.toISOString(), limit: ALERT_PAGE, beforeId });
      rows.push(...page.map(toAlertView));
      if (page.length < ALERT_PAGE) break;
      beforeId = page.at(-1)!.id;
    }
    return rows.reverse();
  }

  async get(principal: Principal, id: string): Promise<AlertView> {
    const row = await this.alerts.findById(id);
    if (!row) throw AppError.notFound('alert');
    // An alert is visible exactly when its patient is; outside the caller's teams it does not exist.
    try {
      return await this.access.read(principal, row.patientId, { action: 'alert.read', target: { type: 'alert', id: row.id } }, async () => toAlertView(row));
    } catch (err) {
      if (err instanceof AppError && err.code === 'NOT_FOUND') throw AppError.notFound('alert');
      throw err;
    }
  }
}
