import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Pool } from 'pg';
import type { PatientProfile } from '#domain';
import { deviceSpokeAgain, effectiveSettings, evaluateDeviceSilence } from '#rules';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { PG_POOL } from '../database/database.module.js';
import { AlertEventsHub, type AlertEventMessage } from '../events/event-hubs.js';
import { AlertDecisionService } from './alert-decision.service.js';
import { AlertWriteRepository } from './alert-write.repository.js';
import { RuleDataRepository } from './rule-data.repository.js';
import { TrendRulesService } from './trend-rules.service.js';

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
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly writes: AlertWriteRepository,
    private readonly decisions: AlertDecisionService,
    private readonly data: RuleDataRepository,
    private readonly trends: TrendRulesService,
    private readonly hub: AlertEventsHub,
  ) {}

  /**
   * Escalates open (unacknowledged) alerts older than the configured delay (critical 15 min,
   * warning 4 h by default): marks them escalated and tells the console, whose message now names
   * the patient's physicians. Returns the escalated alert ids.
   */
  async escalateDue(now: Date, scope: JobScope = {}): Promise<string[]> {
    const { escalateCriticalAfterMinutes: crit, escalateWarningAfterMinutes: warn } = this.config.alerts;
    const escalated: string[] = [];
    for (const id of await this.writes.dueForEscalation(now, crit, warn, scope.patientIds)) {
      const message = await this.writes.inTransaction<AlertEventMessage | null>(async (client) => {
        if (!(await this.writes.markEscalated(client, id, now, crit, warn))) return null; // acknowledged meanwhile, or another scheduler did it
        return this.decisions.transition(client, id, 'escalated', null);
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
    const { rows: spoke } = await this.pool.query<{ device_id: string; patient_id: string; profile: PatientProfile }>(
      `SELECT a.device_id, a.patient_id, p.profile
         FROM alerts a JOIN devices d ON d.device_id = a.device_id JOIN patients p ON p.id = a.patient_id
        WHERE a.rule = 'device.silent' AND a.status IN ('open', 'acknowledged')
          AND (NOT d.active OR d.last_seen_at > coalesce(a.episode_started_at, a.started_at))
          AND ($1::uuid[] IS NULL OR a.patient_id = ANY($1::uuid[]))`,
      [ids],
    );
    let cleared = 0;
    for (const r of spoke) {
      const d = deviceSpokeAgain(r.device_id, now.getTime());
      if (await this.decisions.apply({ patientId: r.patient_id, deviceId: r.device_id, profile: r.profile }, d)) cleared++;
    }
    const { rows: silent } = await this.pool.query<{ device_id: string; patient_id: string; profile: PatientProfile; settings: unknown; heard: Date }>(
      `SELECT DISTINCT ON (d.patient_id) d.device_id, d.patient_id, p.profile, t.settings, coalesce(d.last_seen_at, d.created_at) AS heard
         FROM devices d JOIN patients p ON p.id = d.patient_id LEFT JOIN patient_thresholds t ON t.patient_id = d.patient_id
         LEFT JOIN alerts a ON a.patient_id = d.patient_id AND a.rule = 'device.silent' AND a.status IN ('open', 'acknowledged')
        WHERE d.active AND coalesce(d.last_seen_at, d.created_at) <= $1::timestamptz - interval '1 hour'
          AND ($2::uuid[] IS NULL OR d.patient_id = ANY($2::uuid[]))
        ORDER BY d.patient_id, coalesce(a.device_id = d.device_id, false) DESC, heard, d.device_id`,
      [now, ids],
    );
    let raised = 0;
    for (const r of silent) {
      const settings = effectiveSettings(r.profile, this.data.parseOverrides(r.patient_id, r.profile, r.settings));
      const d = evaluateDeviceSilence(r.device_id, r.heard.getTime(), now.getTime(), settings);
      if (d && (await this.decisions.apply({ patientId: r.patient_id, deviceId: r.device_id, profile: r.profile }, d))) raised++;
    }
    return { raised, cleared };
  }

  /**
   * The nightly run: night rules for the last settled night of every patient with an active
   * ventilator (a night without a session counts as 0 h of use), and oximetry.baseline for the
   * last complete day of every patient with an active device. A patient whose ventilator was
   * deactivated (an oximeter only) gets no night rules: their nights are not 0 h nights of a
   * ventilator. Returns the number of alert transitions.
   */
  async runNightly(now: Date, scope: JobScope = {}): Promise<number> {
    let transitions = 0;
    const ventilated = new Set(await this.data.patientsWithDevice('ventilator', scope.patientIds));
    for (const patientId of await this.data.patientsWithDevice('any', scope.patientIds)) {
      try {
        transitions += await this.trends.nightlyForPatient(patientId, now.getTime(), { nightRules: ventilated.has(patientId) });
      } catch (err) {
        this.logger.error({ err, patientId }, 'nightly rules failed for a patient');
      }
    }
    return transitions;
  }
}
