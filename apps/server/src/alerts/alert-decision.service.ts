import { Injectable, Logger } from '@nestjs/common';
import { news2Spo2Score, SEVERITY_RANK, type PatientProfile } from '#domain';
import { continuesNightEpisode, type RuleDecision, type RuleSettings } from '#rules';
import { AuditService } from '../audit/audit.service.js';
import { TransactionRunner, type Tx } from '../database/transaction.js';
import { AlertEventsHub, alertEventMessage, type AlertEventMessage } from '../events/event-hubs.js';
import { AlertRepository, toAlertView, type AlertEventKind, type AlertEvidenceRecord } from './alert.repository.js';
import { AlertWriteRepository, type ActiveAlertRow } from './alert-write.repository.js';
import { RuleDataRepository } from './rule-data.repository.js';

/** Whom a decision is about. */
export interface DecisionTarget {
  patientId: string;
  /** The device whose samples decided; null for patient-level rules (nights, baseline). */
  deviceId: string | null;
  profile: PatientProfile;
  /** The physician's "assume on oxygen" setting, for the NEWS2 score when the engine had no SpO2. */
  assumeOnOxygen?: boolean;
  /** The settings the decision was made with: the raised rule's are kept as the alert's evidence. */
  settings?: RuleSettings;
}

const SYSTEM_ACTOR = { userId: null, role: 'system' };

/**
 * Persists the engine's decisions. Each decision is one transaction: the alert row, its event
 * (monotonic id) and the audit record; the console is told after the commit.
 *
 * Identity is in the database: at most one open-or-acknowledged alert per (patient, rule), by the
 * partial unique index alerts_one_active_per_rule. Two evaluators raising the same alert at once:
 * one INSERT wins, the other's ON CONFLICT DO NOTHING waits for it, then updates the same row.
 * An episode is identified by its start, so the same episode decided twice is not a new occurrence;
 * a device's run also by the evidence it overlaps (`runOverlaps`), a night rule's by the nights it
 * spans (`continuesNightEpisode`: the arrival path and the nightly job date one episode differently).
 */
@Injectable()
export class AlertDecisionService {
  private readonly logger = new Logger('AlertDecisions');

  constructor(
    private readonly alerts: AlertRepository,
    private readonly writes: AlertWriteRepository,
    private readonly data: RuleDataRepository,
    private readonly audit: AuditService,
    private readonly hub: AlertEventsHub,
    private readonly transactions: TransactionRunner,
  ) {}

  /**
   * Applies one decision; returns the committed event it produced (already published), if any.
   * `onSnoozed` is called when a snooze of the rule suppressed a raise or an update.
   */
  async apply(target: DecisionTarget, decision: RuleDecision, onSnoozed?: () => void): Promise<AlertEventMessage | null> {
    // Most clears find nothing to clear (e.g. device.silent when a device speaks): one read, no transaction.
    if (decision.kind === 'clear' && !(await this.writes.hasActive(target.patientId, decision.rule))) return null;
    // The snooze gate, in the one place every rule path (point, night, baseline, jobs) raises
    // through: a snoozed rule raises nothing and notifies nothing. Clears still apply, so an alert
    // open before the snooze can still be resolved by the rules (or by a nurse).
    if (decision.kind !== 'clear' && (await this.data.snoozed(target.patientId, decision.rule))) {
      onSnoozed?.();
      return null;
    }
    const message = await this.transactions.run((tx) =>
      decision.kind === 'clear' ? this.clear(tx, target, decision) : this.raiseOrUpdate(tx, target, decision),
    );
    if (message) {
      this.logger.log({ alertId: message.alert.id, rule: decision.rule, kind: message.kind, deviceId: target.deviceId }, 'alert transition');
      await this.hub.publish(message);
    }
    return message;
  }

  private async raiseOrUpdate(tx: Tx, target: DecisionTarget, d: RuleDecision): Promise<AlertEventMessage | null> {
    let active = await this.writes.findActive(tx.sql, target.patientId, d.rule);
    if (!active) {
      // A raise of an episode already recorded (and since resolved) is a replay: nothing new.
      // An update with no open alert means a professional resolved it while the episode went on
      // getting worse: that deserves a new alert. Unless the rules cleared it: then another
      // process saw the run end, and this one, behind in the device's stream, reports the past.
      if (await this.writes.runRecorded(tx.sql, target, d, d.kind === 'update')) return null;
      const news2 = d.news2Spo2Score ?? (await this.news2At(tx, target, d.at));
      const id = await this.writes.insertActive(tx.sql, target, d, news2);
      if (id) return this.transition(tx, id, 'raised', d, evidenceOf(target, d));
      active = await this.writes.findActive(tx.sql, target.patientId, d.rule); // lost the race: update the winner's row
      if (!active) throw new Error('alert vanished between conflict and select');
    }
    return this.updateActive(tx, active, target, d);
  }

  private async updateActive(tx: Tx, a: ActiveAlertRow, target: DecisionTarget, d: RuleDecision): Promise<AlertEventMessage | null> {
    const sameEpisode =
      d.startedAt === a.startedAt.getTime() ||
      d.startedAt === a.episodeStartedAt?.getTime() ||
      runOverlaps(a, target, d) ||
      continuesNightEpisode({ startedAt: a.startedAt.getTime(), lastTriggeredAt: a.lastTriggeredAt.getTime() }, d);
    const newOccurrence = d.kind === 'raise' && !sameEpisode;
    const newer = d.at >= a.lastTriggeredAt.getTime();
    const severityUp = SEVERITY_RANK[d.severity] > SEVERITY_RANK[a.severity];
    const valueChanged = newer && (d.value !== a.value || d.message !== a.message || d.at !== a.lastTriggeredAt.getTime());
    if (!newOccurrence && !severityUp && !valueChanged) return null;
    await this.writes.updateActive(tx.sql, a.id, d, { newOccurrence, newer, severityUp });
    const kind: AlertEventKind | null = severityUp ? 'severity' : newOccurrence ? 'occurrence' : null;
    // A worse value within the same episode updates the row without a transition (no event).
    return kind ? this.transition(tx, a.id, kind, d, newOccurrence ? evidenceOf(target, d) : null) : null;
  }

  private async clear(tx: Tx, target: DecisionTarget, d: RuleDecision): Promise<AlertEventMessage | null> {
    const a = await this.writes.findActive(tx.sql, target.patientId, d.rule);
    if (!a) return null;
    // Another device's episode, or evidence older than the alert's last trigger (a backlog, an
    // older night re-evaluated), does not clear it.
    if (a.deviceId && target.deviceId && a.deviceId !== target.deviceId) return null;
    if (d.at < a.lastTriggeredAt.getTime()) return null;
    await this.writes.resolveCleared(tx.sql, a.id);
    return this.transition(tx, a.id, 'resolved', d);
  }

  /** Records the event and the audit entry of a system transition and builds the console message. */
  async transition(
    tx: Tx,
    alertId: string,
    kind: AlertEventKind,
    d: Pick<RuleDecision, 'rule' | 'message'> | null,
    evidence: AlertEvidenceRecord | null = null,
  ): Promise<AlertEventMessage> {
    const row = (await this.alerts.findById(alertId, tx.sql))!;
    const eventId = await this.alerts.appendEvent(tx.sql, row, kind, null, kind === 'resolved' && d ? d.message : null, evidence);
    await this.audit.record(
      {
        action: `alert.${AUDIT_ACTION[kind]}`,
        actor: SYSTEM_ACTOR,
        patientId: row.patientId,
        targetType: 'alert',
        targetId: row.id,
        details: { rule: row.rule, severity: row.severity, eventId },
      },
      tx,
    );
    return alertEventMessage({
      eventId,
      kind,
      careTeamId: row.careTeamId,
      physicianIds: row.escalated ? await this.alerts.physiciansOfPatient(row.patientId, tx.manager) : [],
      alert: toAlertView(row),
    });
  }

  /** Within the transaction's connection: never wait for a second pool connection while holding one. */
  private async news2At(tx: Tx, target: DecisionTarget, at: number): Promise<number | null> {
    const latest = await this.data.latestSpo2(target.patientId, at, tx.sql);
    if (!latest) return null;
    return news2Spo2Score(latest.spo2, target.profile, latest.onOxygen || target.assumeOnOxygen === true);
  }
}

/** What the rules saw when raising: kept on the event (GET /api/alerts/:id/evidence). */
export function evidenceOf(target: DecisionTarget, d: RuleDecision): AlertEvidenceRecord {
  const parameters = target.settings ? ({ ...target.settings[d.rule] } as Record<string, unknown>) : null;
  return { parameters, startedAt: d.startedAt, at: d.at, value: d.value, threshold: d.threshold, deviceId: target.deviceId };
}

/**
 * Whether a device's run overlaps the evidence the active alert already holds from the same device
 * ([startedAt, lastTriggeredAt]): the run ends at or after the alert's start and began before
 * its last trigger (`runBegunBefore`). Within one process a new run of a device begins after a
 * sample that ended the previous run, so after every trigger of it: an overlapping run is the same
 * run, seen by another process. With several ingest processes and a broker that spreads a device's
 * messages over them (Mosquitto's round robin), each process sees part of the run and dates it
 * from the first sample it saw. Night rules have their own notion of an episode (`continuesNightEpisode`).
 */
export function runOverlaps(
  a: Pick<ActiveAlertRow, 'deviceId' | 'startedAt' | 'lastTriggeredAt'>,
  target: Pick<DecisionTarget, 'deviceId'>,
  d: Pick<RuleDecision, 'startedAt' | 'at' | 'runAfter'>,
): boolean {
  return target.deviceId !== null && a.deviceId === target.deviceId && runBegunBefore(d, a.lastTriggeredAt.getTime()) && d.at >= a.startedAt.getTime();
}

/**
 * Whether the run may have begun before `t`: it began after `runAfter` (the last sample the deciding
 * process saw before it), or, when that is unknown, at `startedAt`.
 */
export function runBegunBefore(d: Pick<RuleDecision, 'startedAt' | 'runAfter'>, t: number): boolean {
  return d.runAfter !== undefined ? d.runAfter < t : d.startedAt <= t;
}

const AUDIT_ACTION: Record<AlertEventKind, string> = {
  raised: 'raise',
  occurrence: 'occurrence',
  severity: 'severity',
  acknowledged: 'acknowledge',
  resolved: 'clear',
  escalated: 'escalate',
};
