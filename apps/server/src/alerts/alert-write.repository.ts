import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import type { RuleId, Severity } from '#domain';
import type { RuleDecision } from '#rules';
import { PG_POOL } from '../database/database.module.js';

/** The open-or-acknowledged alert of a (patient, rule), as the decision writer needs it. */
export interface ActiveAlertRow {
  id: string;
  severity: Severity;
  status: 'open' | 'acknowledged';
  started_at: Date;
  episode_started_at: Date | null;
  last_triggered_at: Date;
  value: number | null;
  message: string;
  device_id: string | null;
}

/** Writes of the rules path (raise, occurrence, clear, escalation). Methods taking a client run in the caller's transaction. */
@Injectable()
export class AlertWriteRepository {
  constructor(@Inject(PG_POOL) readonly pool: Pool) {}

  async inTransaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** Locks and returns the active alert of (patient, rule), if any. */
  async findActive(client: PoolClient, patientId: string, rule: RuleId): Promise<ActiveAlertRow | undefined> {
    const { rows } = await client.query<ActiveAlertRow>(
      `SELECT id::text AS id, severity, status, started_at, episode_started_at, last_triggered_at, value, message, device_id
         FROM alerts WHERE patient_id = $1 AND rule = $2 AND status IN ('open', 'acknowledged') FOR UPDATE`,
      [patientId, rule],
    );
    return rows[0];
  }

  async hasActive(patientId: string, rule: RuleId): Promise<boolean> {
    const { rows } = await this.pool.query(`SELECT 1 FROM alerts WHERE patient_id = $1 AND rule = $2 AND status IN ('open', 'acknowledged')`, [patientId, rule]);
    return rows.length > 0;
  }

  /**
   * Whether an alert of this rule already recorded the run of `decision`: an alert whose episode
   * started at the same time or, for a device's run, an alert raised by the same device whose
   * evidence (`started_at` … `last_triggered_at`) overlaps the run — another ingest process saw part
   * of the same run and dated it from the first sample it saw (see `runOverlaps`).
   * `clearedOnly`: count only alerts the rules themselves cleared (resolution `cleared`).
   */
  async runRecorded(
    client: PoolClient,
    target: { patientId: string; deviceId: string | null },
    decision: Pick<RuleDecision, 'rule' | 'startedAt' | 'at' | 'runAfter'>,
    clearedOnly: boolean,
  ): Promise<boolean> {
    // The run may have begun before a trigger at t when runAfter < t (or, runAfter unknown, startedAt <= t).
    const begunBefore = decision.runAfter ?? decision.startedAt - 1;
    const { rows } = await client.query(
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
    client: PoolClient,
    target: { patientId: string; deviceId: string | null },
    d: RuleDecision,
    news2: number | null,
  ): Promise<string | undefined> {
    const { rows } = await client.query<{ id: string }>(
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
    client: PoolClient,
    id: string,
    d: RuleDecision,
    how: { newOccurrence: boolean; newer: boolean; severityUp: boolean },
  ): Promise<void> {
    await client.query(
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

  async resolveCleared(client: PoolClient, id: string): Promise<void> {
    await client.query(`UPDATE alerts SET status = 'resolved', resolved_at = now(), resolved_by = NULL, resolution = 'cleared' WHERE id = $1`, [id]);
  }

  /** Open alerts due for escalation at `now` (critical and warning only; info never escalates). */
  async dueForEscalation(now: Date, criticalAfterMin: number, warningAfterMin: number, patientIds?: readonly string[]): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      `SELECT id::text AS id FROM alerts
        WHERE status = 'open' AND NOT escalated
          AND ((severity = 'critical' AND opened_at <= $1::timestamptz - make_interval(mins => $2))
            OR (severity = 'warning' AND opened_at <= $1::timestamptz - make_interval(mins => $3)))
          AND ($4::uuid[] IS NULL OR patient_id = ANY($4::uuid[]))
        ORDER BY opened_at LIMIT 500`,
      [now, criticalAfterMin, warningAfterMin, patientIds ?? null],
    );
    return rows.map((r) => r.id);
  }

  /** Marks the alert escalated if it still is open, unescalated and due; returns whether it did. */
  async markEscalated(client: PoolClient, id: string, now: Date, criticalAfterMin: number, warningAfterMin: number): Promise<boolean> {
    const res = await client.query(
      `UPDATE alerts SET escalated = true, escalated_at = $2
        WHERE id = $1 AND status = 'open' AND NOT escalated
          AND ((severity = 'critical' AND opened_at <= $2::timestamptz - make_interval(mins => $3))
            OR (severity = 'warning' AND opened_at <= $2::timestamptz - make_interval(mins => $4)))`,
      [id, now, criticalAfterMin, warningAfterMin],
    );
    return res.rowCount === 1;
  }
}
