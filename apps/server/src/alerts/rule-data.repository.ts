import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Pool } from 'pg';
import type { Queryable } from '../database/transaction.js';
import type { DeviceKind, PatientProfile, SessionDeviceKind } from '#domain';
import {
  POINT_RULE_IDS,
  validateOverrides,
  withMandatoryRules,
  type DailyOximetry,
  type LeakFromSamples,
  type OxygenSessionRecord,
  type PointRuleId,
  type RuleOverrides,
  type RuleSample,
  type SessionRecord,
} from '#rules';
import { PG_POOL } from '../database/database.module.js';
import { LEAK_MEAN_OF_SAMPLES, LEAK_MEDIAN_OF_SAMPLES } from '../database/therapy-day-sql.js';

/** What the rules need to know about a patient. */
export interface PatientRuleContext {
  id: string;
  profile: PatientProfile;
  timezone: string;
  careTeamId: string;
  overrides: RuleOverrides;
}

/** The metrics the point rules read. */
export const POINT_METRICS = ['spo2', 'pulseRate', 'o2Flow'];

/** Readings rows (one per metric, ascending by time) as samples, one per timestamp. */
export function toRuleSamples(rows: readonly { time: Date; metric: string; value: number; signal_ok: boolean }[]): RuleSample[] {
  const samples: RuleSample[] = [];
  for (const r of rows) {
    const at = r.time.getTime();
    let s = samples[samples.length - 1];
    if (!s || s.at !== at) {
      s = { at, values: {}, signalOk: true };
      samples.push(s);
    }
    (s.values as Record<string, number>)[r.metric] = r.value;
    s.signalOk &&= r.signal_ok;
  }
  return samples;
}

/** Reads the rules need: patients and their thresholds, recent samples, sessions, daily means. */
@Injectable()
export class RuleDataRepository {
  private readonly logger = new Logger('RuleData');

  constructor(@Inject(PG_POOL) readonly pool: Pool) {}

  /**
   * THE gate of the rules (docs/alert-rules.md, "Episodes gate the rules"): the patients among
   * `patientIds` that the rules run for, i.e. with an active telemonitoring episode now, with
   * their stored overrides. A patient without one is absent from the map, and every rule path
   * (point rules at ingestion, night rules on arrival and nightly, oximetry.baseline, device.silent,
   * escalation) takes its patients from here, so it decides nothing for them; their readings are
   * stored all the same. Read on every batch (one probe of the partial unique index
   * episodes_one_active_per_patient per patient), so an episode that starts or ends, like a new
   * threshold, applies from the next sample in every process: no cache to invalidate.
   */
  async patientContexts(patientIds: readonly string[]): Promise<Map<string, PatientRuleContext>> {
    const out = new Map<string, PatientRuleContext>();
    if (patientIds.length === 0) return out;
    const { rows } = await this.pool.query<{ id: string; profile: PatientProfile; timezone: string; care_team_id: string; settings: unknown }>(
      `SELECT p.id, p.profile, p.timezone, p.care_team_id, t.settings
         FROM patients p
         JOIN episodes e ON e.patient_id = p.id AND e.status = 'active'
         LEFT JOIN patient_thresholds t ON t.patient_id = p.id
        WHERE p.id = ANY($1::uuid[])`,
      [[...new Set(patientIds)]],
    );
    for (const r of rows) {
      // Under telemonitoring the mandatory rules (device.silent) run, whatever was saved.
      const overrides = withMandatoryRules(this.parseOverrides(r.id, r.profile, r.settings));
      out.set(r.id, { id: r.id, profile: r.profile, timezone: r.timezone, careTeamId: r.care_team_id, overrides });
    }
    return out;
  }

  /**
   * The second gate, beside the episode's (docs/alert-rules.md, "Snoozes"): whether a professional
   * silenced this rule for this patient and the snooze is in force now (database time, so every
   * process agrees on the moment it expires). Asked by AlertDecisionService before any raise.
   */
  async snoozed(patientId: string, rule: string, db: Queryable = this.pool): Promise<boolean> {
    const { rows } = await db.query<{ snoozed: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM rule_snoozes WHERE patient_id = $1 AND rule = $2 AND ended_at IS NULL AND until > now()) AS snoozed`,
      [patientId, rule],
    );
    return rows[0]?.snoozed === true;
  }

  /**
   * Patients with a snooze of one of `rules` that ended (DELETE: ended_at; else expiry: until) in
   * (from, to]: the rules to look at again, as a condition still present must raise at once.
   */
  async snoozesEnded(rules: readonly string[], from: Date, to: Date): Promise<string[]> {
    const { rows } = await this.pool.query<{ patient_id: string }>(
      `SELECT DISTINCT patient_id FROM rule_snoozes
        WHERE rule = ANY($1::text[]) AND COALESCE(ended_at, until) > $2 AND COALESCE(ended_at, until) <= $3`,
      [rules, from, to],
    );
    return rows.map((r) => r.patient_id);
  }

  /** One patient through the gate (undefined: unknown, or no active episode: the rules decide nothing). */
  async patientContext(patientId: string): Promise<PatientRuleContext | undefined> {
    return (await this.patientContexts([patientId])).get(patientId);
  }

  /** Stored overrides were validated on write; anything else (a hand edit) falls back to the defaults, loudly. */
  parseOverrides(patientId: string, profile: PatientProfile, raw: unknown): RuleOverrides {
    if (raw === null || raw === undefined) return {};
    const v = validateOverrides(profile, raw);
    if (v.ok) return v.overrides;
    this.logger.error({ patientId, errors: v.errors }, 'stored thresholds are invalid: using the profile defaults');
    return {};
  }

  /** A device's samples of the point-rule metrics in [from, to), ascending, one sample per timestamp. */
  /** The device's samples of this patient (a reassigned device's earlier readings are another patient's). */
  async recentSamples(deviceId: string, patientId: string, from: number, to: number): Promise<RuleSample[]> {
    const { rows } = await this.pool.query<{ time: Date; metric: string; value: number; signal_ok: boolean }>(
      `SELECT time, metric, value, signal_ok FROM readings
        WHERE device_id = $1 AND metric = ANY($2::text[]) AND time >= $3 AND time < $4 AND patient_id = $5
        ORDER BY time`,
      [deviceId, POINT_METRICS, new Date(from), new Date(to), patientId],
    );
    return toRuleSamples(rows);
  }

  /** Point rules with an open or acknowledged alert raised from this device (or from no device). */
  async activePointRules(patientId: string, deviceId: string): Promise<Set<PointRuleId>> {
    const { rows } = await this.pool.query<{ rule: PointRuleId }>(
      `SELECT rule FROM alerts WHERE patient_id = $1 AND rule = ANY($2::text[]) AND status IN ('open', 'acknowledged')
          AND (device_id IS NULL OR device_id = $3)`,
      [patientId, POINT_RULE_IDS, deviceId],
    );
    return new Set(rows.map((r) => r.rule));
  }

  /** Start of the patient's first session from a device of this kind and of the latest one (null: none). */
  async sessionSpan(patientId: string, kind: SessionDeviceKind = 'ventilator'): Promise<{ first: number; latest: number } | null> {
    const { rows } = await this.pool.query<{ first: Date | null; latest: Date | null }>(
      `SELECT min(s.start_at) AS first, max(s.start_at) AS latest
         FROM night_sessions s JOIN devices d ON d.device_id = s.device_id AND d.kind = $2
        WHERE s.patient_id = $1`,
      [patientId, kind],
    );
    const r = rows[0];
    return r?.first && r.latest ? { first: r.first.getTime(), latest: r.latest.getTime() } : null;
  }

  /** The patient's ventilation sessions starting in [from, to). */
  async sessions(patientId: string, from: number, to: number): Promise<SessionRecord[]> {
    const { rows } = await this.pool.query<{
      start_at: Date;
      end_at: Date;
      usage_hours: number | null;
      leak_p95: number | null;
      leak_median: number | null;
      leak_mean: number | null;
      ahi: number | null;
      resp_rate_median: number | null;
    }>(
      `SELECT s.start_at, s.end_at, s.usage_hours, s.leak_p95, s.leak_median, s.leak_mean, s.ahi, s.resp_rate_median
         FROM night_sessions s JOIN devices d ON d.device_id = s.device_id AND d.kind = 'ventilator'
        WHERE s.patient_id = $1 AND s.start_at >= $2 AND s.start_at < $3 ORDER BY s.start_at`,
      [patientId, new Date(from), new Date(to)],
    );
    return rows.map((r) => ({
      start: r.start_at.getTime(),
      end: r.end_at.getTime(),
      usageHours: r.usage_hours,
      leakP95: r.leak_p95,
      leakMedian: r.leak_median,
      leakMean: r.leak_mean,
      ahi: r.ahi,
      respRateMedian: r.resp_rate_median,
    }));
  }

  /**
   * Per therapy day (noon to noon in `timezone`, named by the date of its noon) whose start is in
   * [from, to): the 24 h leak median and mean of the valid leak samples of the patient's
   * ventilators (the same statistics as GET /days: database/therapy-day-sql.ts).
   */
  async leakFromSamples(patientId: string, timezone: string, from: number, to: number): Promise<Map<string, LeakFromSamples>> {
    const devices = await this.pool.query<{ device_id: string }>(`SELECT device_id FROM devices WHERE patient_id = $1 AND kind = 'ventilator' ORDER BY device_id`, [patientId]);
    const out = new Map<string, LeakFromSamples>();
    if (devices.rows.length === 0) return out;
    const { rows } = await this.pool.query<{ day: string; median: number | null; mean: number | null }>(
      `SELECT to_char(((time AT TIME ZONE $3) - interval '12 hours')::date, 'YYYY-MM-DD') AS day,
              ${LEAK_MEDIAN_OF_SAMPLES} AS median, ${LEAK_MEAN_OF_SAMPLES} AS mean
         FROM readings
        WHERE device_id = ANY($2::text[]) AND metric = 'leak' AND time >= $4 AND time < $5 AND patient_id = $1 AND signal_ok
        GROUP BY 1`,
      [patientId, devices.rows.map((r) => r.device_id), timezone, new Date(from), new Date(to)],
    );
    for (const r of rows) out.set(r.day, { median: r.median, mean: r.mean === null ? null : Number(r.mean) });
    return out;
  }

  /** The patient's oxygen sessions (from concentrators) starting in [from, to). */
  async oxygenSessions(patientId: string, from: number, to: number): Promise<OxygenSessionRecord[]> {
    const { rows } = await this.pool.query<{ start_at: Date; end_at: Date; o2_usage_hours: number | null }>(
      `SELECT s.start_at, s.end_at, s.o2_usage_hours
         FROM night_sessions s JOIN devices d ON d.device_id = s.device_id AND d.kind = 'concentrator'
        WHERE s.patient_id = $1 AND s.start_at >= $2 AND s.start_at < $3 ORDER BY s.start_at`,
      [patientId, new Date(from), new Date(to)],
    );
    return rows.map((r) => ({ start: r.start_at.getTime(), end: r.end_at.getTime(), o2UsageHours: r.o2_usage_hours }));
  }

  /**
   * Daily (noon-to-noon local) means of SpO2 and pulse from the hourly rollup (signalOk samples
   * only), for days whose noon start is in [from, to). Days with fewer than `minSamples` are left out.
   */
  async dailyOximetry(patientId: string, timezone: string, from: number, to: number, minSamples = 60): Promise<DailyOximetry[]> {
    const { rows } = await this.pool.query<{ day: string; spo2: number | null; pulse: number | null }>(
      `SELECT to_char(((bucket AT TIME ZONE $2) - interval '12 hours')::date, 'YYYY-MM-DD') AS day,
              sum(sum_value) FILTER (WHERE metric = 'spo2') / NULLIF(sum(n) FILTER (WHERE metric = 'spo2'), 0) AS spo2,
              sum(sum_value) FILTER (WHERE metric = 'pulseRate') / NULLIF(sum(n) FILTER (WHERE metric = 'pulseRate'), 0) AS pulse,
              sum(n) FILTER (WHERE metric = 'spo2') AS n_spo2,
              sum(n) FILTER (WHERE metric = 'pulseRate') AS n_pulse
         FROM readings_hourly
        WHERE patient_id = $1 AND metric IN ('spo2', 'pulseRate') AND bucket >= $3 AND bucket < $4
        GROUP BY 1
       HAVING coalesce(sum(n) FILTER (WHERE metric = 'spo2'), 0) >= $5 AND coalesce(sum(n) FILTER (WHERE metric = 'pulseRate'), 0) >= $5
        ORDER BY 1`,
      [patientId, timezone, new Date(from), new Date(to), minSamples],
    );
    return rows.map((r) => ({ day: r.day, spo2Mean: r.spo2 === null ? null : Number(r.spo2), pulseMean: r.pulse === null ? null : Number(r.pulse) }));
  }

  /** The patient's latest valid SpO2 at or before `at` (within 24 h) and whether oxygen was flowing then. */
  async latestSpo2(patientId: string, at: number, db: Queryable = this.pool): Promise<{ spo2: number; onOxygen: boolean } | null> {
    const { rows } = await db.query<{ spo2: number; o2: number | null }>(
      `SELECT s.value AS spo2,
              (SELECT o.value FROM readings o WHERE o.device_id = s.device_id AND o.metric = 'o2Flow'
                  AND o.time <= s.time AND o.time > s.time - interval '10 minutes' ORDER BY o.time DESC LIMIT 1) AS o2
         FROM devices d
         CROSS JOIN LATERAL (
           SELECT r.value, r.time, r.device_id FROM readings r
            WHERE r.device_id = d.device_id AND r.metric = 'spo2' AND r.signal_ok
              AND r.time <= $2 AND r.time > $2::timestamptz - interval '24 hours'
            ORDER BY r.time DESC LIMIT 1) s
        WHERE d.patient_id = $1
        ORDER BY s.time DESC LIMIT 1`,
      [patientId, new Date(at)],
    );
    const r = rows[0];
    return r ? { spo2: r.spo2, onOxygen: (r.o2 ?? 0) > 0 } : null;
  }

  /** Patients with an active device of this kind (optionally within a set of patients). */
  async patientsWithDevice(kind: DeviceKind | 'any', patientIds?: readonly string[]): Promise<string[]> {
    const { rows } = await this.pool.query<{ patient_id: string }>(
      `SELECT DISTINCT patient_id FROM devices
        WHERE active AND ($1 = 'any' OR kind = $1) AND ($2::uuid[] IS NULL OR patient_id = ANY($2::uuid[]))`,
      [kind, patientIds ?? null],
    );
    return rows.map((r) => r.patient_id);
  }

  /**
   * device.silent alerts whose device was heard again (after the alert's episode started) or
   * deactivated: the job clears them.
   */
  async silentAlertsHeardAgain(patientIds: readonly string[] | null): Promise<{ deviceId: string; patientId: string }[]> {
    const { rows } = await this.pool.query<{ deviceId: string; patientId: string }>(
      `SELECT a.device_id AS "deviceId", a.patient_id AS "patientId"
         FROM alerts a JOIN devices d ON d.device_id = a.device_id
        WHERE a.rule = 'device.silent' AND a.status IN ('open', 'acknowledged')
          AND (NOT d.active OR d.last_seen_at > coalesce(a.episode_started_at, a.started_at))
          AND ($1::uuid[] IS NULL OR a.patient_id = ANY($1::uuid[]))`,
      [patientIds],
    );
    return rows;
  }

  /**
   * One active device per patient not heard from for an hour at `now` (heard: last readings, else
   * registration): the one the open device.silent alert is about, else the one silent the longest.
   */
  async silentDevices(
    now: Date,
    patientIds: readonly string[] | null,
  ): Promise<{ deviceId: string; patientId: string; heard: Date }[]> {
    const { rows } = await this.pool.query<{ deviceId: string; patientId: string; heard: Date }>(
      `SELECT DISTINCT ON (d.patient_id) d.device_id AS "deviceId", d.patient_id AS "patientId",
              coalesce(d.last_seen_at, d.created_at) AS heard
         FROM devices d
         LEFT JOIN alerts a ON a.patient_id = d.patient_id AND a.rule = 'device.silent' AND a.status IN ('open', 'acknowledged')
        WHERE d.active AND coalesce(d.last_seen_at, d.created_at) <= $1::timestamptz - interval '1 hour'
          AND ($2::uuid[] IS NULL OR d.patient_id = ANY($2::uuid[]))
        ORDER BY d.patient_id, coalesce(a.device_id = d.device_id, false) DESC, heard, d.device_id`,
      [now, patientIds],
    );
    return rows;
  }
}
