import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import type { AlertView } from '#domain';
import { AppError } from '../common/app-error.js';
import type { Principal } from '../auth/principal.js';
import { AuditService } from '../audit/audit.service.js';
import { AlertEventsHub, type AlertEventMessage } from '../events/event-hubs.js';
import { AlertRepository, toAlertView, type AlertEventKind, type AlertRow } from './alert.repository.js';

const MAX_NOTE = 2000;

/**
 * Human transitions of an alert (acknowledge, resolve), whatever the entry point (REST or the
 * console's socket). Each is one transaction: the alert row, its event and the audit record;
 * the console is told only after the commit.
 */
@Injectable()
export class AlertLifecycleService {
  constructor(
    private readonly alerts: AlertRepository,
    private readonly audit: AuditService,
    private readonly hub: AlertEventsHub,
  ) {}

  acknowledge(principal: Principal, alertId: string, note?: string): Promise<AlertView> {
    return this.transition(principal, alertId, note, 'acknowledged', async (client, row) => {
      if (row.status === 'resolved') throw new AppError('ALERT_ALREADY_RESOLVED', 'alert is already resolved');
      if (row.status === 'acknowledged') return false; // idempotent: a second console acked first
      await client.query(`UPDATE alerts SET status = 'acknowledged', acknowledged_by = $2, acknowledged_at = now() WHERE id = $1`, [
        row.id,
        principal.userId,
      ]);
      return true;
    });
  }

  resolve(principal: Principal, alertId: string, note?: string): Promise<AlertView> {
    return this.transition(principal, alertId, note, 'resolved', async (client, row) => {
      if (row.status === 'resolved') throw new AppError('ALERT_ALREADY_RESOLVED', 'alert is already resolved');
      await client.query(
        `UPDATE alerts SET status = 'resolved', resolved_by = $2, resolved_at = now(), resolution = 'manual' WHERE id = $1`,
        [row.id, principal.userId],
      );
      return true;
    });
  }

  private async transition(
    principal: Principal,
    alertId: string,
    note: string | undefined,
    kind: AlertEventKind,
    apply: (client: PoolClient, row: AlertRow) => Promise<boolean>,
  ): Promise<AlertView> {
    if (principal.role === 'admin') throw AppError.forbidden('only care professionals handle alerts');
    if (note !== undefined && (typeof note !== 'string' || note.length > MAX_NOTE)) {
      throw AppError.validation(`note must be a string of at most ${MAX_NOTE} characters`);
    }
    const client = await this.alerts.pool.connect();
    let message: AlertEventMessage | undefined;
    let view: AlertView;
    try {
      await client.query('BEGIN');
      const row = await this.alerts.findById(alertId, client, true);
      if (!row || !principal.careTeamIds.includes(row.care_team_id)) throw AppError.notFound('alert');
      const changed = await apply(client, row);
      const updated = (await this.alerts.findById(alertId, client))!;
      view = toAlertView(updated);
      if (changed) {
        const eventId = await this.alerts.appendEvent(client, updated, kind, principal.userId, note ?? null);
        await this.audit.record(
          { action: `alert.${kind === 'acknowledged' ? 'acknowledge' : 'resolve'}`, actor: principal, patientId: row.patient_id, targetType: 'alert', targetId: row.id, details: note ? { note } : undefined },
          client,
        );
        message = {
          eventId,
          kind,
          event: 'alert.updated',
          careTeamId: updated.care_team_id,
          physicianIds: updated.escalated ? await this.alerts.physiciansOfPatient(updated.patient_id, client) : [],
          alert: view,
        };
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
    if (message) await this.hub.publish(message);
    return view;
  }
}
