import { Inject, Injectable } from '@nestjs/common';
import pg, { type Pool } from 'pg';
import type { DefaultNightWindow, OximetrySummary, TimedValue, VentilationSession } from '#domain';
import { PG_POOL } from '../database/database-pool.js';
import { TransactionRunner } from '../database/transaction.js';
import { withoutJit } from './without-jit.js';
import type { PatientScope } from '../access/patient-scope.js';
import { PATIENT_DEVICE_IDS_SQL } from '../database/patient-device-ids.js';

const pgTypes = pg.types;
const FLOAT8_ARRAY_OID = 1022;

/** `{1,2.5,3}` (a float8[] without NULLs, as PostgreSQL prints it) → numbers. */
export function parseFloatArray(text: string | null): number[] {
  if (!text || text === '{}') return [];
  return text.slice(1, -1).split(',').map(Number);
}

/** What is cached per night window (oximetry part of a night): the domain's summary, plus the pulse. */
export type NightOximetry = OximetrySummary & Pick<NightSamples, 'pulseMean' | 'pulseSamples'>;

export interface NightSamples {
  /** Valid (signal_ok) SpO2 samples of the window, by time. */
  spo2: TimedValue[];
  pulseMean: number | null;
  pulseSamples: number;
}

/** Nights: default windows in the patient's timezone, ventilation sessions, and oximetry samples. */
@Injectable()
export class NightsRepository {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly transactions: TransactionRunner,
  ) {}

  /**
   * `days` nights ending with the night of `until` (default: the night that started yesterday
   * evening, in the patient's timezone at `now`), each with its default 20:00–08:00 local window.
   */
  async defaultNights(patient: PatientScope, now: Date, days: number, until?: string): Promise<DefaultNightWindow[]> {
    const { rows } = await this.pool.query<{ night: string; start: Date; end: Date }>(
      `WITH p AS (SELECT timezone AS tz, COALESCE($4::date + 1, (($2::timestamptz) AT TIME ZONE timezone)::date) AS today FROM patients WHERE id = $1),
            d AS (SELECT (p.today - k) AS night, p.tz FROM p, generate_series(1, $3::int) AS k)
       SELECT to_char(night, 'YYYY-MM-DD') AS night,
              (night + TIME '20:00') AT TIME ZONE tz AS start,
              (night + 1 + TIME '08:00') AT TIME ZONE tz AS "end"
         FROM d ORDER BY d.night`,
      [patient.id, now, days, until ?? null],
    );
    return rows.map((r) => ({ night: r.night, start: r.start.getTime(), end: r.end.getTime() }));
  }

  /**
   * Ventilation sessions (from ventilators: a concentrator's oxygen sessions are no night of
   * ventilation) starting in [from, to), each with its night: the local date of its start
   * minus 12 hours (a session starting between noon and noon the next day belongs to that evening).
   */
  async sessions(patient: PatientScope, from: Date, to: Date): Promise<(VentilationSession & { night: string })[]> {
    const { rows } = await this.pool.query(
      `SELECT to_char(((s.start_at AT TIME ZONE p.timezone) - INTERVAL '12 hours')::date, 'YYYY-MM-DD') AS night,
              s.start_at, s.end_at, s.usage_hours, s.leak_p95, s.ahi, s.resp_rate_median, s.tidal_volume_median,
              s.minute_ventilation_median, s.triggered_breaths_pct
         FROM night_sessions s JOIN patients p ON p.id = s.patient_id
         JOIN devices d ON d.device_id = s.device_id AND d.kind = 'ventilator'
        WHERE s.patient_id = $1 AND s.start_at >= $2 AND s.start_at < $3
        ORDER BY s.start_at`,
      [patient.id, from, to],
    );
    return rows.map((r) => ({
      night: r.night as string,
      start: (r.start_at as Date).getTime(),
      end: (r.end_at as Date).getTime(),
      usageHours: r.usage_hours,
      leakP95: r.leak_p95,
      ahi: r.ahi,
      respRateMedian: r.resp_rate_median,
      tidalVolumeMedian: r.tidal_volume_median,
      minuteVentilationMedian: r.minute_ventilation_median,
      triggeredBreathsPct: r.triggered_breaths_pct,
    }));
  }

  /** The patient's device ids, sorted (readings are reached through them: see docs/database.md). */
  async deviceIds(patient: PatientScope): Promise<string[]> {
    const { rows } = await this.pool.query<{ device_id: string }>(PATIENT_DEVICE_IDS_SQL, [patient.id]);
    return rows.map((r) => r.device_id);
  }

  /**
   * For each window [start, end): the valid SpO2 samples and the mean valid pulse rate of the
   * patient's `devices`. Samples with signal_ok = false are excluded (CONTRACT.md §1).
   * Plan: one range scan of the primary key (device_id, metric, time) per window. Two things keep
   * PostgreSQL off a sequential scan of the whole table (measured: 48 s instead of 5 s on 21 M
   * rows, and it grows with every other patient's data): the windows are joined LATERAL, so their
   * bounds are parameters of an index scan (as a plain join, the range condition on unnest()'s
   * columns got a default selectivity of a third of the table per window); and the device ids are
   * values known at planning, not a sub-select, so the row estimate is right.
   * Cost notes (30 nights of 1 Hz ≈ 1.3 M SpO2 samples): times travel as float8 millisecond
   * offsets from the window start (date_part is float8, extract() would be numeric), and the
   * arrays are not ordered in SQL; they are ordered here when needed.
   */
  async oximetry(patient: PatientScope, devices: readonly string[], windows: readonly { start: number; end: number }[]): Promise<NightSamples[]> {
    const result: NightSamples[] = windows.map(() => ({ spo2: [], pulseMean: null, pulseSamples: 0 }));
    if (windows.length === 0 || devices.length === 0) return result;
    const { rows } = await withoutJit(this.transactions, (q) =>
      q.query<{ i: number; offset_ms: string | null; v: string | null; pulse_mean: number | null; pulse_n: number }>({
        // The two float8[] columns come back as text and are split here: ~2x faster than the
        // generic array parser on a million elements.
        types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === FLOAT8_ARRAY_OID ? (v: string) => v : pgTypes.getTypeParser(oid, format))) as typeof pgTypes.getTypeParser },
        text: `SELECT w.i::int AS i, x.offset_ms, x.v, x.pulse_mean, x.pulse_n
           FROM unnest($3::timestamptz[], $4::timestamptz[]) WITH ORDINALITY AS w(s, e, i)
          CROSS JOIN LATERAL (
                SELECT array_agg(date_part('epoch', r.time - w.s) * 1000) FILTER (WHERE r.metric = 'spo2') AS offset_ms,
                       array_agg(r.value) FILTER (WHERE r.metric = 'spo2') AS v,
                       avg(r.value) FILTER (WHERE r.metric = 'pulseRate') AS pulse_mean,
                       count(*) FILTER (WHERE r.metric = 'pulseRate')::int AS pulse_n
                  FROM readings r
                 WHERE r.device_id = ANY($2::text[]) AND r.metric IN ('spo2', 'pulseRate') AND r.time >= w.s AND r.time < w.e
                   AND r.patient_id = $1 AND r.signal_ok) AS x`,
        values: [patient.id, devices, windows.map((w) => new Date(w.start)), windows.map((w) => new Date(w.end))],
      }),
    );
    for (const r of rows) {
      const start = windows[r.i - 1]!.start;
      const offsets = parseFloatArray(r.offset_ms);
      const values = parseFloatArray(r.v);
      const spo2: TimedValue[] = new Array(offsets.length);
      let sorted = true;
      for (let k = 0; k < offsets.length; k++) {
        spo2[k] = { at: start + Math.round(offsets[k]!), value: values[k]! };
        if (k > 0 && spo2[k]!.at < spo2[k - 1]!.at) sorted = false;
      }
      if (!sorted) spo2.sort((a, b) => a.at - b.at);
      result[r.i - 1] = { spo2, pulseMean: r.pulse_mean, pulseSamples: r.pulse_n };
    }
    return result;
  }

  /**
   * A fingerprint of each window's data: the patient's devices and how many valid SpO2 and pulse
   * samples the window holds — from the hourly rollup for its whole UTC hours (at 1 Hz a night is
   * ~86,000 rows: counting them per report took seconds) and from the samples for the parts of an
   * hour at its edges. Readings are insert-only, and every valid sample is in the rollup's count
   * (of the patient, whichever device): any new valid sample changes the fingerprint; poor-signal
   * samples, which the oximetry leaves out, do not.
   */
  async fingerprints(patient: PatientScope, devices: readonly string[], windows: readonly { start: number; end: number }[], version: string): Promise<string[]> {
    if (windows.length === 0) return [];
    const first = `(date_trunc('hour', w.s, 'UTC') + CASE WHEN date_trunc('hour', w.s, 'UTC') < w.s THEN interval '1 hour' ELSE interval '0' END)`;
    const last = `date_trunc('hour', w.e, 'UTC')`;
    const { rows } = await this.pool.query<{ i: number; n: string }>(
      `SELECT w.i::int AS i,
              (SELECT COALESCE(sum(h.n), 0) FROM readings_hourly h
                WHERE h.patient_id = $1 AND h.metric IN ('spo2', 'pulseRate') AND h.bucket >= ${first} AND h.bucket < ${last})
            + (SELECT count(*) FROM readings r
                WHERE r.device_id = ANY($2::text[]) AND r.metric IN ('spo2', 'pulseRate') AND r.patient_id = $1 AND r.signal_ok
                  AND ((r.time >= w.s AND r.time < LEAST(${first}, w.e)) OR (r.time >= GREATEST(${last}, ${first}) AND r.time < w.e))) AS n
         FROM unnest($3::timestamptz[], $4::timestamptz[]) WITH ORDINALITY AS w(s, e, i)`,
      [patient.id, devices, windows.map((w) => new Date(w.start)), windows.map((w) => new Date(w.end))],
    );
    const result = windows.map(() => '');
    for (const r of rows) result[r.i - 1] = `${version}|${devices.join(',')}|${r.n}`;
    return result;
  }

  async cached(patient: PatientScope, windows: readonly { start: number; end: number }[]): Promise<({ fingerprint: string; summary: NightOximetry } | undefined)[]> {
    if (windows.length === 0) return [];
    const { rows } = await this.pool.query<{ i: number; fingerprint: string; summary: NightOximetry }>(
      `SELECT w.i::int AS i, c.fingerprint, c.summary
         FROM unnest($2::timestamptz[], $3::timestamptz[]) WITH ORDINALITY AS w(s, e, i)
         JOIN night_oximetry_cache c ON c.patient_id = $1 AND c.window_start = w.s AND c.window_end = w.e`,
      [patient.id, windows.map((w) => new Date(w.start)), windows.map((w) => new Date(w.end))],
    );
    const result: ({ fingerprint: string; summary: NightOximetry } | undefined)[] = windows.map(() => undefined);
    for (const r of rows) result[r.i - 1] = { fingerprint: r.fingerprint, summary: r.summary };
    return result;
  }

  async store(patient: PatientScope, entries: readonly { start: number; end: number; fingerprint: string; summary: NightOximetry }[]): Promise<void> {
    if (entries.length === 0) return;
    await this.pool.query(
      `INSERT INTO night_oximetry_cache (patient_id, window_start, window_end, fingerprint, summary)
       SELECT $1, s, e, f, x FROM unnest($2::timestamptz[], $3::timestamptz[], $4::text[], $5::jsonb[]) AS t(s, e, f, x)
       ON CONFLICT (patient_id, window_start, window_end)
       DO UPDATE SET fingerprint = EXCLUDED.fingerprint, summary = EXCLUDED.summary, computed_at = now()`,
      [
        patient.id,
        entries.map((e) => new Date(e.start)),
        entries.map((e) => new Date(e.end)),
        entries.map((e) => e.fingerprint),
        entries.map((e) => JSON.stringify(e.summary)),
      ],
    );
  }
}
