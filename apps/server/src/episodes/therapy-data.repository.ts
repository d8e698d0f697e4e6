import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { SAMPLE_METRIC_NAMES, type TimeWindow } from '#domain';
import type { PatientScope } from '../access/patient-scope.js';
import { PG_POOL } from '../database/database.module.js';
import { LEAK_MEAN_OF_SAMPLES, LEAK_MEDIAN_OF_SAMPLES } from '../database/therapy-day-sql.js';
import { PATIENT_DEVICE_IDS_SQL } from '../database/patient-device-ids.js';

/** One therapy day's raw aggregates (null: nothing of that kind in the window). */
export interface DayAggregates {
  /** Valid samples (signal_ok). */
  respRateMean: number | null;
  respRateSamples: number;
  leakMedian: number | null;
  leakMean: number | null;
  spo2Mean: number | null;
  o2FlowMean: number | null;
  o2FlowSamples: number;
  /** Distinct minutes with an o2Flow sample above 0. */
  o2FlowMinutes: number;
  /** Ventilator sessions starting in the window. */
  ventilatorSessions: number;
  ventilationHours: number | null;
  sessionRespRate: number | null;
  sessionLeakMedian: number | null;
  sessionLeakMean: number | null;
  /** Oxygen sessions (concentrator, or any session carrying o2UsageHours) starting in the window. */
  oxygenSessions: number;
  o2SessionHours: number | null;
  sessionO2FlowMean: number | null;
}

// A session's hours: the device's own usage count, else its true duration (end − start of two
// instants: 23 or 25 h across DST are what they are, not the wall-clock span).
const HOURS = `coalesce(x.usage_hours, (extract(epoch FROM x.end_at - x.start_at) / 3600)::float8)`;
const O2_HOURS = `coalesce(x.o2_usage_hours, (extract(epoch FROM x.end_at - x.start_at) / 3600)::float8)`;
const weighted = (field: string, hours: string, filter: string) =>
  `sum(x.${field} * ${hours}) FILTER (WHERE ${filter} AND x.${field} IS NOT NULL) / nullif(sum(${hours}) FILTER (WHERE ${filter} AND x.${field} IS NOT NULL), 0)`;
const IS_VENTILATOR = `x.kind = 'ventilator'`;
const IS_OXYGEN = `(x.kind = 'concentrator' OR x.o2_usage_hours IS NOT NULL)`;

/**
 * The therapy days' data, read from the readings store: samples (`readings`) and session
 * summaries (`night_sessions`: a ventilator's sessions, with leakMedian and leakMean when it
 * sends them, and a concentrator's, with o2UsageHours and o2FlowMean: CONTRACT.md §6).
 */
/** The first whole UTC hour of a window, and the end of its last whole UTC hour. */
const FIRST_HOUR = `(date_trunc('hour', w.s, 'UTC') + CASE WHEN date_trunc('hour', w.s, 'UTC') < w.s THEN interval '1 hour' ELSE interval '0' END)`;
const LAST_HOUR = `date_trunc('hour', w.e, 'UTC')`;

@Injectable()
export class TherapyDataRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /** The patient's devices (ids sorted) and their kinds. */
  async devices(patient: PatientScope): Promise<{ ids: string[]; kinds: Set<string> }> {
    const { rows } = await this.pool.query<{ device_id: string; kind: string }>(
      `SELECT device_id, kind FROM devices WHERE device_id IN (${PATIENT_DEVICE_IDS_SQL}) ORDER BY device_id`,
      [patient.id],
    );
    return { ids: rows.map((r) => r.device_id), kinds: new Set(rows.map((r) => r.kind)) };
  }

  /**
   * THE definition of "a day with data" (GET /days' dataReceived and the transmission compliance
   * both call this): any stored reading of any metric, or any session, from the patient's devices
   * in the window. One index probe per window and device (primary key; sessions by patient).
   */
  async daysWithData(patient: PatientScope, devices: readonly string[], windows: readonly TimeWindow[]): Promise<boolean[]> {
    if (windows.length === 0) return [];
    if (devices.length === 0) return windows.map(() => false);
    const { rows } = await this.pool.query<{ i: number; has_data: boolean }>(
      `SELECT w.i::int AS i,
              EXISTS (SELECT 1 FROM readings r
                       WHERE r.device_id = ANY($2::text[]) AND r.metric = ANY($5::text[]) AND r.time >= w.s AND r.time < w.e AND r.patient_id = $1)
              OR EXISTS (SELECT 1 FROM night_sessions ns
                          WHERE ns.patient_id = $1 AND ns.start_at >= w.s AND ns.start_at < w.e AND ns.device_id = ANY($2::text[])) AS has_data
         FROM unnest($3::timestamptz[], $4::timestamptz[]) WITH ORDINALITY AS w(s, e, i)`,
      [patient.id, devices, windows.map((w) => new Date(w.start)), windows.map((w) => new Date(w.end)), SAMPLE_METRIC_NAMES],
    );
    const result = windows.map(() => false);
    for (const r of rows) result[r.i - 1] = r.has_data;
    return result;
  }

  /** Per window: sample aggregates (valid samples only) and the sessions starting in it. */
  async aggregates(patient: PatientScope, devices: readonly string[], windows: readonly TimeWindow[]): Promise<DayAggregates[]> {
    if (windows.length === 0) return [];
    const { rows } = await this.pool.query(
      `SELECT w.i::int AS i, r.*, o.*, s.*
         FROM unnest($3::timestamptz[], $4::timestamptz[]) WITH ORDINALITY AS w(s, e, i)
        CROSS JOIN LATERAL (
              SELECT avg(value) FILTER (WHERE metric = 'respRate') AS resp_rate_mean,
                     count(*) FILTER (WHERE metric = 'respRate')::int AS resp_rate_n,
                     ${LEAK_MEDIAN_OF_SAMPLES} AS leak_median,
                     ${LEAK_MEAN_OF_SAMPLES} AS leak_mean,
                     avg(value) FILTER (WHERE metric = 'o2Flow') AS o2_flow_mean,
                     count(*) FILTER (WHERE metric = 'o2Flow')::int AS o2_flow_n,
                     count(DISTINCT date_trunc('minute', time)) FILTER (WHERE metric = 'o2Flow' AND value > 0)::int AS o2_flow_minutes
                FROM readings
               WHERE device_id = ANY($2::text[]) AND metric IN ('respRate', 'leak', 'o2Flow') AND time >= w.s AND time < w.e
                 AND patient_id = $1 AND signal_ok) AS r
        CROSS JOIN LATERAL (
              -- SpO2 at 1 Hz is ~86,400 samples a day: its mean comes from the hourly rollup (the
              -- trends' source, valid samples only) for the whole UTC hours of the day, and from the
              -- samples for the parts of an hour at its edges (zones whose noon is not a UTC hour).
              SELECT sum(x.s) / NULLIF(sum(x.n), 0) AS spo2_mean
                FROM (SELECT h.sum_value AS s, h.n
                        FROM readings_hourly h
                       WHERE h.patient_id = $1 AND h.metric = 'spo2' AND h.bucket >= ${FIRST_HOUR} AND h.bucket < ${LAST_HOUR}
                      UNION ALL
                      SELECT sum(value), count(*)
                        FROM readings
                       WHERE device_id = ANY($2::text[]) AND metric = 'spo2' AND patient_id = $1 AND signal_ok
                         AND ((time >= w.s AND time < LEAST(${FIRST_HOUR}, w.e)) OR (time >= GREATEST(${LAST_HOUR}, ${FIRST_HOUR}) AND time < w.e))) AS x) AS o
        CROSS JOIN LATERAL (
              SELECT count(*) FILTER (WHERE ${IS_VENTILATOR})::int AS ventilator_sessions,
                     sum(${HOURS}) FILTER (WHERE ${IS_VENTILATOR}) AS ventilation_hours,
                     ${weighted('resp_rate_median', HOURS, IS_VENTILATOR)} AS session_resp_rate,
                     ${weighted('leak_median', HOURS, IS_VENTILATOR)} AS session_leak_median,
                     ${weighted('leak_mean', HOURS, IS_VENTILATOR)} AS session_leak_mean,
                     count(*) FILTER (WHERE ${IS_OXYGEN})::int AS oxygen_sessions,
                     sum(${O2_HOURS}) FILTER (WHERE ${IS_OXYGEN}) AS o2_session_hours,
                     ${weighted('o2_flow_mean', O2_HOURS, IS_OXYGEN)} AS session_o2_flow_mean
                FROM (SELECT ns.start_at, ns.end_at, ns.usage_hours, ns.resp_rate_median, d.kind,
                             ns.leak_median, ns.leak_mean, ns.o2_usage_hours, ns.o2_flow_mean
                        FROM night_sessions ns JOIN devices d ON d.device_id = ns.device_id
                       WHERE ns.patient_id = $1 AND ns.start_at >= w.s AND ns.start_at < w.e) AS x) AS s`,
      [patient.id, devices, windows.map((w) => new Date(w.start)), windows.map((w) => new Date(w.end))],
    );
    const result: DayAggregates[] = new Array(windows.length);
    for (const r of rows) {
      result[(r.i as number) - 1] = {
        respRateMean: r.resp_rate_mean,
        respRateSamples: r.resp_rate_n,
        leakMedian: r.leak_median,
        leakMean: r.leak_mean,
        spo2Mean: r.spo2_mean,
        o2FlowMean: r.o2_flow_mean,
        o2FlowSamples: r.o2_flow_n,
        o2FlowMinutes: r.o2_flow_minutes,
        ventilatorSessions: r.ventilator_sessions,
        ventilationHours: r.ventilation_hours,
        sessionRespRate: r.session_resp_rate,
        sessionLeakMedian: r.session_leak_median,
        sessionLeakMean: r.session_leak_mean,
        oxygenSessions: r.oxygen_sessions,
        o2SessionHours: r.o2_session_hours,
        sessionO2FlowMean: r.session_o2_flow_mean,
      };
    }
    return result;
  }
}
