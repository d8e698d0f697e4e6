import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import type { EntityManager, Repository, SelectQueryBuilder } from 'typeorm';
import { news2ForAlert, type AlertStatus, type AlertView } from '#domain';
import { PG_POOL } from '../database/database-pool.js';
import type { Queryable } from '../database/transaction.js';
import type { PatientScope } from '../access/patient-scope.js';
import type { AlertEventKind } from '../events/event-hubs.js';
import { PatientEntity, UserCareTeamEntity, UserEntity } from '../registry/registry.entities.js';
import { AlertEntity } from './alert.entities.js';

export type { AlertEventKind } from '../events/event-hubs.js';

/** The columns of an alert that AlertView shows, typed by the entity. */
export type AlertViewColumns = Pick<
  AlertEntity,
  | 'id'
  | 'patientId'
  | 'rule'
  | 'severity'
  | 'status'
  | 'startedAt'
  | 'openedAt'
  | 'lastTriggeredAt'
  | 'occurrences'
  | 'value'
  | 'threshold'
  | 'message'
  | 'news2Spo2Score'
  | 'escalated'
  | 'acknowledgedBy'
  | 'acknowledgedAt'
  | 'resolvedBy'
  | 'resolvedAt'
  | 'resolution'
>;

/** An alert with its patient's care team (who may see it, where its events go). */
export type AlertRecord = AlertViewColumns & { careTeamId: string };

/**
 * The hand-written select of an AlertRecord, joined to the patient for its care team, for the SQL
 * that runs inside the write transactions and the console's event-log joins (column aliases are
 * the entity's property names, so rows are AlertRecords).
 */
export const ALERT_SELECT = `SELECT a.id::text AS id, a.patient_id AS "patientId", a.rule, a.severity, a.status,
  a.started_at AS "startedAt", a.opened_at AS "openedAt", a.last_triggered_at AS "lastTriggeredAt", a.occurrences,
  a.value, a.threshold, a.message, a.news2_spo2_score AS "news2Spo2Score", a.escalated,
  a.acknowledged_by AS "acknowledgedBy", a.acknowledged_at AS "acknowledgedAt", a.resolved_by AS "resolvedBy",
  a.resolved_at AS "resolvedAt", a.resolution, p.care_team_id AS "careTeamId"
  FROM alerts a JOIN patients p ON p.id = a.patient_id`;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toAlertView(a: AlertViewColumns): AlertView {
  return {
    id: a.id,
    patientId: a.patientId,
    rule: a.rule,
    severity: a.severity,
    status: a.status,
    startedAt: a.startedAt.toISOString(),
    openedAt: a.openedAt.toISOString(),
    lastTriggeredAt: a.lastTriggeredAt.toISOString(),
    occurrences: a.occurrences,
    value: a.value,
    threshold: a.threshold,
    message: a.message,
    escalated: a.escalated,
    acknowledgedBy: a.acknowledgedBy,
    acknowledgedAt: iso(a.acknowledgedAt),
    resolvedBy: a.resolvedBy,
    resolvedAt: iso(a.resolvedAt),
    resolution: a.resolution,
    news2Spo2Score: a.news2Spo2Score,
    news2: news2ForAlert(a),
  };
}

/** Advisory lock key that orders alert event ids by commit (any constant unique to this purpose). */
export const ALERT_EVENT_ORDER_LOCK = '7315094201';

/**
 * What the rules saw when they raised an alert (or a new occurrence of it), kept on its event:
 * the rule's parameters in force then, the episode's start and the evidence's time (epoch ms,
 * clinical time), the value and threshold, the device whose samples decided (null: patient-level).
 */
export interface AlertEvidenceRecord {
  parameters: Record<string, unknown> | null;
  startedAt: number;
  at: number;
  value: number | null;
  threshold: number | null;
  deviceId: string | null;
}

/** The filters of GET /api/alerts. */
export interface AlertListQuery {
  status?: AlertStatus;
  patientId?: string;
  limit?: number;
  from?: string;
  to?: string;
  beforeId?: string;
}

/**
 * Alert rows and their event log. Methods taking `db` run in the caller's transaction (`tx.sql`,
 * or `tx.manager` for the TypeORM ones) when given one.
 */
@Injectable()
export class AlertRepository {
  constructor(
    @Inject(PG_POOL) readonly pool: Pool,
    @InjectRepository(AlertEntity) private readonly alerts: Repository<AlertEntity>,
  ) {}

  async findById(id: string, db: Queryable = this.pool, forUpdate = false): Promise<AlertRecord | undefined> {
    if (!/^\d{1,18}$/.test(id)) return undefined;
    const { rows } = await db.query<AlertRecord>(`${ALERT_SELECT} WHERE a.id = $1${forUpdate ? ' FOR UPDATE OF a' : ''}`, [id]);
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
    db: Queryable,
    alert: Pick<AlertRecord, 'id' | 'patientId' | 'careTeamId'>,
    kind: AlertEventKind,
    actorId: string | null,
    note: string | null,
    evidence: AlertEvidenceRecord | null = null,
  ): Promise<string> {
    await db.query('SELECT pg_advisory_xact_lock($1::bigint)', [ALERT_EVENT_ORDER_LOCK]);
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO alert_events (alert_id, patient_id, care_team_id, kind, actor_id, note, evidence)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id::text AS id`,
      [alert.id, alert.patientId, alert.careTeamId, kind, actorId, note, evidence === null ? null : JSON.stringify(evidence)],
    );
    return rows[0]!.id;
  }

  /** Alerts of the patients of `careTeamIds`, newest first, with the filters of GET /api/alerts. */
  async listInTeams(careTeamIds: string[], q: AlertListQuery): Promise<AlertEntity[]> {
    if (careTeamIds.length === 0) return [];
    const list = this.alerts
      .createQueryBuilder('a')
      .innerJoin(PatientEntity, 'p', 'p.id = a.patientId')
      .where('p.careTeamId IN (:...careTeamIds)', { careTeamIds });
    if (q.status) list.andWhere('a.status = :status', { status: q.status });
    if (q.patientId) list.andWhere('a.patientId = :patientId', { patientId: q.patientId });
    // `from`: alerts still open then or resolved since; `to`: alerts that started before it.
    if (q.from) list.andWhere('(a.resolvedAt IS NULL OR a.resolvedAt >= :from)', { from: q.from });
    if (q.to) list.andWhere('a.startedAt < :to', { to: q.to });
    if (q.beforeId) list.andWhere('a.id < :beforeId', { beforeId: q.beforeId });
    return list
      .orderBy('a.id', 'DESC')
      .limit(q.limit ?? 200)
      .getMany();
  }

  /**
   * Per patient, the alerts not yet resolved (open or acknowledged), in all and by severity: the
   * population view's openAlerts. A patient without any is absent from the map.
   */
  async unresolvedCountsOf(patients: readonly PatientScope[]): Promise<Map<string, { total: number; critical: number; warning: number; info: number }>> {
    const result = new Map<string, { total: number; critical: number; warning: number; info: number }>();
    if (patients.length === 0) return result;
    const { rows } = await this.pool.query<{ patient_id: string; total: number; critical: number; warning: number; info: number }>(
      `SELECT patient_id, count(*)::int AS total,
              count(*) FILTER (WHERE severity = 'critical')::int AS critical,
              count(*) FILTER (WHERE severity = 'warning')::int AS warning,
              count(*) FILTER (WHERE severity = 'info')::int AS info
         FROM alerts WHERE patient_id = ANY($1::uuid[]) AND status <> 'resolved' GROUP BY patient_id`,
      [patients.map((p) => p.id)],
    );
    for (const r of rows) result.set(r.patient_id, { total: r.total, critical: r.critical, warning: r.warning, info: r.info });
    return result;
  }

  /** Physicians of the patient's care team: escalations reach them too. */
  async physiciansOfPatient(patientId: string, db?: EntityManager): Promise<string[]> {
    return this.physicians(db, (q) => q.innerJoin(PatientEntity, 'p', 'p.careTeamId = m.careTeamId').andWhere('p.id = :patientId', { patientId }));
  }

  /** Physicians of a care team (an event's team: where its escalation went). */
  async physiciansOfTeam(careTeamId: string, db?: EntityManager): Promise<string[]> {
    return this.physicians(db, (q) => q.andWhere('m.careTeamId = :careTeamId', { careTeamId }));
  }

  private async physicians(
    db: EntityManager | undefined,
    scope: (q: SelectQueryBuilder<UserEntity>) => SelectQueryBuilder<UserEntity>,
  ): Promise<string[]> {
    const manager = db ?? this.alerts.manager;
    const q = manager
      .createQueryBuilder(UserEntity, 'u')
      .select('u.id', 'id')
      .innerJoin(UserCareTeamEntity, 'm', 'm.userId = u.id')
      .where(`u.role = 'physician'`)
      .andWhere('u.active');
    const rows = await scope(q).getRawMany<{ id: string }>();
    return rows.map((r) => r.id);
  }

  /** The evidence recorded on the alert's latest raise or occurrence (null: none recorded, e.g. raised before it was kept). */
  async latestEvidence(alertId: string): Promise<AlertEvidenceRecord | null> {
    const { rows } = await this.pool.query<{ evidence: AlertEvidenceRecord }>(
      `SELECT evidence FROM alert_events WHERE alert_id = $1 AND evidence IS NOT NULL ORDER BY id DESC LIMIT 1`,
      [alertId],
    );
    return rows[0]?.evidence ?? null;
  }
}
