import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { In, type EntityManager, type Repository } from 'typeorm';
import type { RuleId } from '#domain';
import type { RuleDecision } from '#rules';
import { PG_POOL } from '../database/database-pool.js';
import type { Queryable } from '../database/transaction.js';
import { AlertEntity } from './alert.entities.js';

/** The open-or-acknowledged alert of a (patient, rule), as the decision writer needs it. */
export type ActiveAlertRow = Pick<AlertEntity, 'id' | 'severity' | 'startedAt' | 'episodeStartedAt' | 'lastTriggeredAt' | 'value' | 'message' | 'deviceId'> & {
  status: 'open' | 'acknowledged';
};

const ACTIVE = In(['open', 'acknowledged']);

/**
 * Writes of the alert lifecycle (raise, occurrence, clear, escalation, acknowledge, resolve).
 * Methods taking `db` run in the caller's transaction (TransactionRunner's `tx.sql`): the rules
 * path stays hand-written SQL for the partial unique index, the row locks and the conflict handling.
 */
@Injectable()
export class AlertWriteRepository {
  constructor(
    @Inject(PG_POOL) readonly pool: Pool,
    @InjectRepository(AlertEntity) private readonly alerts: Repository<AlertEntity>,
  ) {}

  /** Locks and returns the active alert of (patient, rule), if any. */
  async findActive(db: Queryable, patientId: string, rule: RuleId): Promise<ActiveAlertRow | undefined> {
    const { rows } = await db.query<ActiveAlertRow>(
      `SELECT id::text AS id, severity, status, started_at AS "startedAt", episode_started_at AS "episodeStartedAt",
              last_triggered_at AS "lastTriggeredAt", value, message, device_id AS "deviceId"
         FROM alerts WHERE patient_id = $1 AND rule = $2 AND status IN ('open', 'acknowledged') FOR UPDATE`,
      [patientId, rule],
    );
    return rows[0];
  }

  async hasActive(patientId: string, rule: RuleId): Promise<boolean> {
    return this.alerts.exists({ where: { patientId, rule, status: ACTIVE } });
  }

  /**
   * Whether an alert of this rule already recorded the run of `decision`: an alert whose episode
   * started at the same time or, for a device's run, an alert raised by the same device whose
   * evidence (`started_at` … `last_triggered_at`) overlaps the run — another ingest process saw part
   * of the same run and dated it from the first sample it saw (see `runOverlaps`).
   * `clearedOnly`: count only alerts the rules themselves cleared (resolution `cleared`).
   */
  async runRecorded(
    db: Queryable,
    target: { patientId: string; deviceId: string | null },
    decision: Pick<RuleDecision, 'rule' | 'startedAt' | 'at' | 'runAfter'>,
    clearedOnly: boolean,
  ): Promise<boolean> {
    // The run may have begun before a trigger at t when runAfter < t (or, runAfter unknown, startedAt <= t).
    const begunBefore = decision.runAfter ?? decision.startedAt - 1;
    const { rows } = await db.query(
      `SELECT 1 FROM alerts
        WHERE patient_id = $1 AND rule = $2 AND (NOT $6 OR resolution = 'cleared')
          AND (started_at = $3 OR episode_started_at = $3
               OR ($5::text IS NOT NULL AND device_id = $5 AND started_at <= $4 AND last_triggered_at > $7))
        LIMIT 1`,
      [target.patientId, decision.rule, new Date(decision.startedAt), new Date(decision.at), target.deviceId, clearedOnly, new Date(begunBefore)],
    );
    return rows.length > 0;
  }

  /**
   * Inserts a new open alert; returns its id, or undefined when another transaction holds the
   * active alert of (patient, rule) (the partial unique index decides, after that one commits).
   */
  async insertActive(
    db: Queryable,
    target: { patientId: string; deviceId: string | null },
    d: RuleDecision,
    news2: number | null,
  ): Promise<string | undefined> {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO alerts (patient_id, rule, severity, status, started_at, episode_started_at, last_triggered_at,
                           occurrences, value, threshold, message, news2_spo2_score, device_id)
       VALUES ($1, $2, $3, 'open', $4, $4, $5, 1, $6, $7, $8, $9, $10)
       ON CONFLICT (patient_id, rule) WHERE status IN ('open', 'acknowledged') DO NOTHING
       RETURNING id::text AS id`,
      [target.patientId, d.rule, d.severity, new Date(d.startedAt), new Date(d.at), d.value, d.threshold, d.message, news2, target.deviceId],
    );
    return rows[0]?.id;
  }

  async updateActive(
    db: Queryable,
    id: string,
    d: RuleDecision,
    how: { newOccurrence: boolean; newer: boolean; severityUp: boolean },
  ): Promise<void> {
    await db.query(
      `UPDATE alerts SET
         occurrences = occurrences + CASE WHEN $2 THEN 1 ELSE 0 END,
         episode_started_at = CASE WHEN $2 THEN GREATEST(coalesce(episode_started_at, started_at), $3) ELSE episode_started_at END,
         last_triggered_at = GREATEST(last_triggered_at, $4),
         value = CASE WHEN $5 THEN $6 ELSE value END,
         threshold = CASE WHEN $5 THEN $7 ELSE threshold END,
         message = CASE WHEN $5 THEN $8 ELSE message END,
         severity = CASE WHEN $9 THEN $10 ELSE severity END
       WHERE id = $1`,
      [id, how.newOccurrence, new Date(d.startedAt), new Date(d.at), how.newer, d.value, d.threshold, d.message, how.severityUp, d.severity],
    );
  }

  async resolveCleared(db: Queryable, id: string): Promise<void> {
    await db.query(`UPDATE alerts SET status = 'resolved', resolved_at = now(), resolved_by = NULL, resolution = 'cleared' WHERE id = $1`, [id]);
  }

  /** Open alerts due for escalation at `now` (critical and warning only; info never escalates). */
  async dueForEscalation(
    now: Date,
    criticalAfterMin: number,
    warningAfterMin: number,
    patientIds?: readonly string[],
  ): Promise<{ id: string; patientId: string }[]> {
    const { rows } = await this.pool.query<{ id: string; patientId: string }>(
      `SELECT id::text AS id, patient_id AS "patientId" FROM alerts
        WHERE status = 'open' AND NOT escalated
          AND ((severity = 'critical' AND opened_at <= $1::timestamptz - make_interval(mins => $2))
            OR (severity = 'warning' AND opened_at <= $1::timestamptz - make_interval(mins => $3)))
          AND ($4::uuid[] IS NULL OR patient_id = ANY($4::uuid[]))
        ORDER BY opened_at LIMIT 500`,
      [now, criticalAfterMin, warningAfterMin, patientIds ?? null],
    );
    return rows;
  }

  /** Marks the alert escalated if it still is open, unescalated and due; returns whether it did. */
  async markEscalated(db: Queryable, id: string, now: Date, criticalAfterMin: number, warningAfterMin: number): Promise<boolean> {
    const res = await db.query(
      `UPDATE alerts SET escalated = true, escalated_at = $2
        WHERE id = $1 AND status = 'open' AND NOT escalated
          AND ((severity = 'critical' AND opened_at <= $2::timestamptz - make_interval(mins => $3))
            OR (severity = 'warning' AND opened_at <= $2::timestamptz - make_interval(mins => $4)))`,
      [id, now, criticalAfterMin, warningAfterMin],
    );
    return res.rowCount === 1;
  }

  /** A professional acknowledges the alert (the caller holds its row lock). */
  async acknowledge(db: EntityManager, id: string, userId: string): Promise<void> {
    await db.update(AlertEntity, { id }, { status: 'acknowledged', acknowledgedBy: userId, acknowledgedAt: () => 'now()' });
  }

  /** A professional resolves the alert (the caller holds its row lock). */
  async resolveManually(db: EntityManager, id: string, userId: string): Promise<void> {
    await db.update(AlertEntity, { id }, { status: 'resolved', resolvedBy: userId, resolvedAt: () => 'now()', resolution: 'manual' });
  }
}
