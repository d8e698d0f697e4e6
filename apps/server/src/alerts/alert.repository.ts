import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import type { AlertResolution, AlertStatus, AlertView, RuleId, Severity } from '#domain';
import { PG_POOL } from '../database/database.module.js';
import type { AlertEventMessage } from '../events/event-hubs.js';

export interface AlertRow {
  id: string;
  patient_id: string;
  rule: RuleId;
  severity: Severity;
  status: AlertStatus;
  started_at: Date;
  opened_at: Date;
  last_triggered_at: Date;
  occurrences: number;
  value: number | null;
  threshold: number | null;
  message: string;
  news2_spo2_score: number | null;
  escalated: boolean;
  acknowledged_by: string | null;
  acknowledged_at: Date | null;
  resolved_by: string | null;
  resolved_at: Date | null;
  resolution: AlertResolution | null;
  care_team_id: string;
}

/** Every alert query selects these, joined to the patient for its care team. */
export const ALERT_SELECT = `SELECT a.id::text AS id, a.patient_id, a.rule, a.severity, a.status, a.started_at, a.opened_at,
  a.last_triggered_at, a.occurrences, a.value, a.threshold, a.message, a.news2_spo2_score, a.escalated,
  a.acknowledged_by, a.acknowledged_at, a.resolved_by, a.resolved_at, a.resolution, p.care_team_id
  FROM alerts a JOIN patients p ON p.id = a.patient_id`;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toAlertView(row: AlertRow): AlertView {
  return {
    id: row.id,
    patientId: row.patient_id,
    rule: row.rule,
    severity: row.severity,
    status: row.status,
    startedAt: row.started_at.toISOString(),
    openedAt: row.opened_at.toISOString(),
    lastTriggeredAt: row.last_triggered_at.toISOString(),
    occurrences: row.occurrences,
    value: row.value,
    threshold: row.threshold,
    message: row.message,
    escalated: row.escalated,
    acknowledgedBy: row.acknowledged_by,
    acknowledgedAt: iso(row.acknowledged_at),
    resolvedBy: row.resolved_by,
    resolvedAt: iso(row.resolved_at),
    resolution: row.resolution,
    news2Spo2Score: row.news2_spo2_score,
  };
}

export type AlertEventKind = AlertEventMessage['kind'];

/** Advisory lock key that orders alert event ids by commit (any constant unique to this purpose). */
export const ALERT_EVENT_ORDER_LOCK = '7315094201';

/** Alert rows and their event log. Methods taking a client run inside the caller's transaction. */
@Injectable()
export class AlertRepository {
  constructor(@Inject(PG_POOL) readonly pool: Pool) {}

  async findById(id: string, client: Pick<Pool, 'query'> = this.pool, forUpdate = false): Promise<AlertRow | undefined> {
    if (!/^\d{1,18}$/.test(id)) return undefined;
    const { rows } = await client.query<AlertRow>(`${ALERT_SELECT} WHERE a.id = $1${forUpdate ? ' FOR UPDATE OF a' : ''}`, [id]);
    return rows[0];
  }

  /**
   * Appends the transition to alert_events (monotonic id) and returns the event id.
   *
   * Event ids must become visible in id order, or `alerts.sync {afterId}` could skip one: a
   * transaction that drew id 100 but commits after the one that drew 101 would be behind the
   * cursor of a console that already saw 101. So the id is drawn under a transaction-scoped lock
   * that is held until commit: the next transition waits for this one to commit (or roll back)
   * before drawing its id. It is the last lock a transition takes (only the audit insert and reads
   * follow), so it cannot deadlock, and alert transitions are rare enough for the wait not to matter.
   */
  async appendEvent(
    client: PoolClient,
    alert: Pick<AlertRow, 'id' | 'patient_id' | 'care_team_id'>,
    kind: AlertEventKind,
    actorId: string | null,
    note: string | null,
  ): Promise<string> {
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [ALERT_EVENT_ORDER_LOCK]);
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO alert_events (alert_id, patient_id, care_team_id, kind, actor_id, note)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING id::text AS id`,
      [alert.id, alert.patient_id, alert.care_team_id, kind, actorId, note],
    );
    return rows[0]!.id;
  }

  /** Physicians of the patient's care team: escalations reach them too. */
  /** Alerts of the patients of `careTeamIds`, newest first, with the filters of GET /api/alerts. */
  async listInTeams(
    careTeamIds: string[],
    q: { status?: AlertStatus; patientId?: string; limit?: number; from?: string; to?: string; beforeId?: string },
  ): Promise<AlertRow[]> {
    const { rows } = await this.pool.query<AlertRow>(
      `${ALERT_SELECT}
        WHERE p.care_team_id = ANY($1::uuid[])
          AND ($2::text IS NULL OR a.status = $2)
          AND ($3::uuid IS NULL OR a.patient_id = $3)
          AND ($5::timestamptz IS NULL OR a.resolved_at IS NULL OR a.resolved_at >= $5)
          AND ($6::timestamptz IS NULL OR a.started_at < $6)
          AND ($7::bigint IS NULL OR a.id < $7)
        ORDER BY a.id DESC LIMIT $4`,
      [careTeamIds, q.status ?? null, q.patientId ?? null, q.limit ?? 200, q.from ?? null, q.to ?? null, q.beforeId ?? null],
    );
    return rows;
  }

  async physiciansOfPatient(patientId: string, client: Pick<Pool, 'query'> = this.pool): Promise<string[]> {
    const { rows } = await client.query<{ id: string }>(
      `SELECT u.id FROM users u JOIN user_care_teams m ON m.user_id = u.id JOIN patients p ON p.care_team_id = m.care_team_id
        WHERE p.id = $1 AND u.role = 'physician' AND u.active`,
      [patientId],
    );
    return rows.map((r) => r.id);
  }
}
