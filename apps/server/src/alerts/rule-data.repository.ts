import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Pool } from 'pg';
import type { Queryable } from '../database/transaction.js';
import type { PatientProfile } from '#domain';
import {
  POINT_RULE_IDS,
  validateOverrides,
  type DailyOximetry,
  type PointRuleId,
  type RuleOverrides,
  type RuleSample,
  type SessionRecord,
} from '#rules';
import { PG_POOL } from '../database/database.module.js';

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

  /** Patients with their stored overrides (read on every batch, so a new threshold applies to the next sample). */
  async patientContexts(patientIds: readonly string[]): Promise<Map<string, PatientRuleContext>> {
    const out = new Map<string, PatientRuleContext>();
    if (patientIds.length === 0) return out;
    const { rows } = await this.pool.query<{ id: string; profile: PatientProfile; timezone: string; care_team_id: string; settings: unknown }>(
      `SELECT p.id, p.profile, p.timezone, p.care_team_id, t.settings
         FROM patients p LEFT JOIN patient_thresholds t ON t.patient_id = p.id
        WHERE p.id = ANY($1::uuid[])`,
      [patientIds],
    );
    for (const r of rows) {
      out.set(r.id, { id: r.id, profile: r.profile, timezone: r.timezone, careTeamId: r.care_team_id, overrides: this.parseOverrides(r.id, r.profile, r.settings) });
    }
    return out;
  }

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
  async recentSamples(deviceId: string, from: number, to: number): Promise<RuleSample[]> {
    const { rows } = await this.pool.query<{ time: Date; metric: string; value: number; signal_ok: boolean }>(
      `SELECT time, metric, value, signal_ok FROM readings
        WHERE device_id = $1 AND metric = ANY($2::text[]) AND time >= $3 AND time < $4
        ORDER BY time`,
      [deviceId, POINT_METRICS, new Date(from), new Date(to)],
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

  /** Start of the patient's first ventilation session and of the latest one (null: none). */
  async sessionSpan(patientId: string): Promise<{ first: number; latest: number } | null> {
    const { rows } = await this.pool.query<{ first: Date | null; latest: Date | null }>(
      `SELECT min(start_at) AS first, max(start_at) AS latest FROM night_sessions WHERE patient_id = $1`,
      [patientId],
    );
    const r = rows[0];
    return r?.first && r.latest ? { first: r.first.getTime(), latest: r.latest.getTime() } : null;
  }

  async sessions(patientId: string, from: number, to: number): Promise<SessionRecord[]> {
    const { rows } = await this.pool.query<{ start_at: Date; end_at: Date; usage_hours: number | null; leak_p95: number | null; ahi: number | null; resp_rate_median: number | null }>(
      `SELECT start_at, end_at, usage_hours, leak_p95, ahi, resp_rate_median FROM night_sessions
        WHERE patient_id = $1 AND start_at >= $2 AND start_at < $3 ORDER BY start_at`,
      [patientId, new Date(from), new Date(to)],
    );
    return rows.map((r) => ({
      start: r.start_at.getTime(),
      end: r.end_at.getTime(),
      usageHours: r.usage_hours,
      leakP95: r.leak_p95,
      ahi: r.ahi,
      respRateMedian: r.resp_rate_median,
    }));
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
  async patientsWithDevice(kind: 'oximeter' | 'ventilator' | 'any', patientIds?: readonly string[]): Promise<string[]> {
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
  async silentAlertsHeardAgain(patientIds: readonly string[] | null): Promise<{ deviceId: string; patientId: string; profile: PatientProfile }[]> {
    const { rows } = await this.pool.query<{ deviceId: string; patientId: string; profile: PatientProfile }>(
      `SELECT a.device_id AS "deviceId", a.patient_id AS "patientId", p.profile
         FROM alerts a JOIN devices d ON d.device_id = a.device_id JOIN patients p ON p.id = a.patient_id
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
  ): Promise<{ deviceId: string; patientId: string; profile: PatientProfile; settings: unknown; heard: Date }[]> {
    const { rows } = await this.pool.query<{ deviceId: string; patientId: string; profile: PatientProfile; settings: unknown; heard: Date }>(
      `SELECT DISTINCT ON (d.patient_id) d.device_id AS "deviceId", d.patient_id AS "patientId", p.profile, t.settings,
              coalesce(d.last_seen_at, d.created_at) AS heard
         FROM devices d JOIN patients p ON p.id = d.patient_id LEFT JOIN patient_thresholds t ON t.patient_id = d.patient_id
         LEFT JOIN alerts a ON a.patient_id = d.patient_id AND a.rule = 'device.silent' AND a.status IN ('open', 'acknowledged')
        WHERE d.active AND coalesce(d.last_seen_at, d.created_at) <= $1::timestamptz - interval '1 hour'
          AND ($2::uuid[] IS NULL OR d.patient_id = ANY($2::uuid[]))
        ORDER BY d.patient_id, coalesce(a.device_id = d.device_id, false) DESC, heard, d.device_id`,
      [now, patientIds],
    );
    return rows;
  }
}
