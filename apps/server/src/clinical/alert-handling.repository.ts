import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import type { PatientScope } from '../access/patient-scope.js';
import { PG_POOL } from '../database/database.module.js';

export interface AlertActorView {
  id: string;
  /** The user's display name, else the username. */
  name: string;
  role: string;
}

export interface AlertHandlingEventView {
  kind: 'acknowledged' | 'resolved' | 'escalated' | 'raised' | 'occurrence' | 'severity';
  at: string;
  /** null: the system (rules engine, escalation job). */
  by: AlertActorView | null;
  note: string | null;
}

export interface AlertHandlingView {
  alertId: string;
  acknowledgedBy: AlertActorView | null;
  resolvedBy: AlertActorView | null;
  /** Human handling (acknowledged, resolved, escalated) and every event that has a note, oldest first. */
  events: AlertHandlingEventView[];
}

interface Row {
  alert_id: string;
  acknowledged_by: AlertActorView | null;
  resolved_by: AlertActorView | null;
  events: Array<Omit<AlertHandlingEventView, 'at'> & { at: string }>;
}

const actor = (alias: string) =>
  `CASE WHEN ${alias}.id IS NULL THEN NULL ELSE json_build_object('id', ${alias}.id, 'name', COALESCE(${alias}.display_name, ${alias}.username), 'role', ${alias}.role) END`;

/** Who handled a patient's alerts, and the notes of the alert events (one query, JSON built by PostgreSQL). */
@Injectable()
export class AlertHandlingRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /** Alerts of the patient active during [from, to), oldest first. */
  async handling(patient: PatientScope, from: Date, to: Date): Promise<AlertHandlingView[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT a.id::text AS alert_id, ${actor('ua')} AS acknowledged_by, ${actor('ur')} AS resolved_by,
              COALESCE((SELECT json_agg(json_build_object('kind', e.kind, 'at', e.at, 'by', ${actor('u')}, 'note', e.note) ORDER BY e.id)
                          FROM alert_events e LEFT JOIN users u ON u.id = e.actor_id
                         WHERE e.alert_id = a.id AND (e.kind IN ('acknowledged', 'resolved', 'escalated') OR e.note IS NOT NULL)), '[]'::json) AS events
         FROM alerts a
         LEFT JOIN users ua ON ua.id = a.acknowledged_by
         LEFT JOIN users ur ON ur.id = a.resolved_by
        WHERE a.patient_id = $1 AND a.started_at < $3 AND (a.resolved_at IS NULL OR a.resolved_at >= $2)
        ORDER BY a.id`,
      [patient.id, from, to],
    );
    return rows.map((r) => ({
      alertId: r.alert_id,
      acknowledgedBy: r.acknowledged_by,
      resolvedBy: r.resolved_by,
      events: r.events.map((e) => ({ kind: e.kind, at: new Date(e.at).toISOString(), by: e.by, note: e.note })),
    }));
  }
}
