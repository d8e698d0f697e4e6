import { Inject, Injectable, Logger } from '@nestjs/common';
import { deviceSpokeAgain, effectiveSettings, evaluateDeviceSilence, NIGHT_RULE_IDS } from '#rules';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { TransactionRunner } from '../database/transaction.js';
import { AlertEventsHub, type AlertEventMessage } from '../events/event-hubs.js';
import { AlertDecisionService } from './alert-decision.service.js';
import { AlertWriteRepository } from './alert-write.repository.js';
import { RuleDataRepository } from './rule-data.repository.js';
import { TrendRulesService } from './trend-rules.service.js';

/** The rules a snooze's end re-evaluates by job (the point rules raise on their next sample). */
const SNOOZE_REEVALUATED_RULES: readonly string[] = [...NIGHT_RULE_IDS, 'oximetry.baseline'];

/** Optional scope of a job run (tests, or an operator re-running one patient). */
export interface JobScope {
  patientIds?: readonly string[];
}

/**
 * The scheduled jobs of the alert lifecycle, callable directly with the time to run at (the
 * scheduler calls them periodically; tests call them with a chosen `now`). Every job is safe to
 * run concurrently in several processes and any number of times.
 */
@Injectable()
export class AlertJobsService {
  private readonly logger = new Logger('AlertJobs');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly writes: AlertWriteRepository,
    private readonly decisions: AlertDecisionService,
    private readonly data: RuleDataRepository,
    private readonly trends: TrendRulesService,
    private readonly hub: AlertEventsHub,
    private readonly transactions: TransactionRunner,
  ) {}

  /**
   * Escalates open (unacknowledged) alerts older than the configured delay (critical 15 min,
   * warning 4 h by default): marks them escalated and tells the console, whose message now names
   * the patient's physicians. Returns the escalated alert ids.
   */
  async escalateDue(now: Date, scope: JobScope = {}): Promise<string[]> {
    const { escalateCriticalAfterMinutes: crit, escalateWarningAfterMinutes: warn } = this.config.alerts;
    const escalated: string[] = [];
    const due = await this.writes.dueForEscalation(now, crit, warn, scope.patientIds);
    // An alert left open when its patient's episode ended stays until a professional handles it,
    // but the rules no longer run for that patient: it is not escalated (docs/alert-rules.md).
    const monitored = await this.data.patientContexts(due.map((a) => a.patientId));
    for (const { id } of due.filter((a) => monitored.has(a.patientId))) {
      const message = await this.transactions.run<AlertEventMessage | null>(async (tx) => {
        if (!(await this.writes.markEscalated(tx.sql, id, now, crit, warn))) return null; // acknowledged meanwhile, or another scheduler did it
        return this.decisions.transition(tx, id, 'escalated', null);
      });
      if (message) {
        escalated.push(id);
        this.logger.warn({ alertId: id, physicians: message.physicianIds.length }, 'alert escalated');
        await this.hub.publish(message);
      }
    }
    return escalated;
  }

  /**
   * device.silent: clears the alert of a device that was heard again (or deactivated), then raises
   * (info, then warning) for patients with an active device not heard from for long enough. "Heard"
   * is when the backend last received readings from it (devices.last_seen_at; registration time
   * before that). One decision per patient and run, as there is one alert per (patient, rule): the
   * device the open alert is about while it stays silent, else the one silent the longest. A
   * second silent device is thus no new occurrence, and every run decides on the same device, so a
   * rerun matches the episode start (heard time) the alert holds.
   */
  async checkSilentDevices(now: Date, scope: JobScope = {}): Promise<{ raised: number; cleared: number }> {
    const ids = scope.patientIds ?? null;
    const spoke = await this.data.silentAlertsHeardAgain(ids);
    const silent = await this.data.silentDevices(now, ids);
    // The rules run only for patients with an active episode (the one gate: patientContexts).
    const patients = await this.data.patientContexts([...spoke, ...silent].map((r) => r.patientId));
    let cleared = 0;
    for (const r of spoke) {
      const patient = patients.get(r.patientId);
      if (!patient) continue;
      const d = deviceSpokeAgain(r.deviceId, now.getTime());
      if (await this.decisions.apply({ patientId: r.patientId, deviceId: r.deviceId, profile: patient.profile }, d)) cleared++;
    }
    let raised = 0;
    for (const r of silent) {
      const patient = patients.get(r.patientId);
      if (!patient) continue;
      const settings = effectiveSettings(patient.profile, patient.overrides);
      const d = evaluateDeviceSilence(r.deviceId, r.heard.getTime(), now.getTime(), settings);
      if (d && (await this.decisions.apply({ patientId: r.patientId, deviceId: r.deviceId, profile: patient.profile, settings }, d))) raised++;
    }
    return { raised, cleared };
  }

  /**
   * Snoozes of the night rules and oximetry.baseline that ended in the last `lookbackMs` (DELETE or
   * expiry): the patient's nightly evaluation runs again now, so a condition still present raises
   * at once instead of at the next session upload or nightly run. Point rules need no job: their
   * next sample raises (RuleEvaluationService). Safe to rerun: a run already raised is the same
   * episode. Returns the number of alert transitions.
   */
  async afterSnoozesEnded(now: Date, lookbackMs: number, scope: JobScope = {}): Promise<number> {
    const ended = await this.data.snoozesEnded(SNOOZE_REEVALUATED_RULES, new Date(now.getTime() - lookbackMs), now);
    const patients = scope.patientIds ? ended.filter((id) => scope.patientIds!.includes(id)) : ended;
    return patients.length === 0 ? 0 : this.runNightly(now, { patientIds: patients });
  }

  /**
   * The nightly run: night rules for the last settled night of every patient with an active
   * ventilator (a night without a session counts as 0 h of use), the oxygen rules likewise for
   * every patient with an active concentrator, and oximetry.baseline for the
   * last complete day of every patient with an active device. A patient whose ventilator was
   * deactivated (an oximeter only) gets no night rules: their nights are not 0 h nights of a
   * ventilator. Returns the number of alert transitions.
   */
  async runNightly(now: Date, scope: JobScope = {}): Promise<number> {
    let transitions = 0;
    const ventilated = new Set(await this.data.patientsWithDevice('ventilator', scope.patientIds));
    // nightlyForPatient reads the patient through the gate (patientContext): none without an active episode.
    const onOxygen = new Set(await this.data.patientsWithDevice('concentrator', scope.patientIds));
    for (const patientId of await this.data.patientsWithDevice('any', scope.patientIds)) {
      try {
        transitions += await this.trends.nightlyForPatient(patientId, now.getTime(), {
          nightRules: ventilated.has(patientId),
          oxygenRules: onOxygen.has(patientId),
        });
      } catch (err) {
        this.logger.error({ err, patientId }, 'nightly rules failed for a patient');
      }
    }
    return transitions;
  }
}
