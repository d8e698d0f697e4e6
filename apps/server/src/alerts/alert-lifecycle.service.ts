import { Injectable } from '@nestjs/common';
import type { AlertView } from '#domain';
import { AppError } from '../common/app-error.js';
import type { Principal } from '../auth/principal.js';
import { AuditService } from '../audit/audit.service.js';
import { TransactionRunner, type Tx } from '../database/transaction.js';
import { AlertEventsHub, alertEventMessage, type AlertEventMessage } from '../events/event-hubs.js';
import { AlertRepository, toAlertView, type AlertEventKind, type AlertRecord } from './alert.repository.js';
import { AlertWriteRepository } from './alert-write.repository.js';

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
    private readonly writes: AlertWriteRepository,
    private readonly audit: AuditService,
    private readonly hub: AlertEventsHub,
    private readonly transactions: TransactionRunner,
  ) {}

  acknowledge(principal: Principal, alertId: string, note?: string): Promise<AlertView> {
    return this.transition(principal, alertId, note, 'acknowledged', async (tx, row) => {
      if (row.status === 'resolved') throw new AppError('ALERT_ALREADY_RESOLVED', 'alert is already resolved');
      if (row.status === 'acknowledged') return false; // idempotent: a second console acked first
      await this.writes.acknowledge(tx.manager, row.id, principal.userId);
      return true;
    });
  }

  resolve(principal: Principal, alertId: string, note?: string): Promise<AlertView> {
    return this.transition(principal, alertId, note, 'resolved', async (tx, row) => {
      if (row.status === 'resolved') throw new AppError('ALERT_ALREADY_RESOLVED', 'alert is already resolved');
      await this.writes.resolveManually(tx.manager, row.id, principal.userId);
      return true;
    });
  }

  private async transition(
    principal: Principal,
    alertId: string,
    note: string | undefined,
    kind: AlertEventKind,
    apply: (tx: Tx, row: AlertRecord) => Promise<boolean>,
  ): Promise<AlertView> {
    if (principal.role === 'admin') throw AppError.forbidden('only care professionals handle alerts');
    if (note !== undefined && (typeof note !== 'string' || note.length > MAX_NOTE)) {
      throw AppError.validation(`note must be a string of at most ${MAX_NOTE} characters`);
    }
    const { view, message } = await this.transactions.run(async (tx) => {
      const row = await this.alerts.findById(alertId, tx.sql, true);
      if (!row || !principal.careTeamIds.includes(row.careTeamId)) throw AppError.notFound('alert');
      const changed = await apply(tx, row);
      const updated = (await this.alerts.findById(alertId, tx.sql))!;
      const view = toAlertView(updated);
      if (!changed) return { view, message: undefined };
      const eventId = await this.alerts.appendEvent(tx.sql, updated, kind, principal.userId, note ?? null);
      await this.audit.record(
        { action: `alert.${kind === 'acknowledged' ? 'acknowledge' : 'resolve'}`, actor: principal, patientId: row.patientId, targetType: 'alert', targetId: row.id, details: note ? { note } : undefined },
        tx,
      );
      const message: AlertEventMessage = alertEventMessage({
        eventId,
        kind,
        careTeamId: updated.careTeamId,
        physicianIds: updated.escalated ? await this.alerts.physiciansOfPatient(updated.patientId, tx.manager) : [],
        alert: view,
      });
      return { view, message };
    });
    if (message) await this.hub.publish(message);
    return view;
  }
}
