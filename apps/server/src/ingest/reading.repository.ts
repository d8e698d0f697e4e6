import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { SESSION_FIELD_NAMES, type SessionField } from '#domain';
import pg from 'pg';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { databaseFlavour, type DatabaseFlavour } from '../database/migrator.js';
import type { IngestBatch } from './ingest-batch.js';
import { boolArray, numberArray, quotedTextArray } from './pg-arrays.js';

export interface CommitResult {
  /** Readings rows actually inserted (rows sent minus duplicates). */
  insertedRows: number;
  insertedSessions: number;
}

const READINGS_INSERT = `
  INSERT INTO readings (device_id, metric, time, patient_id, value, signal_ok)
  SELECT d, m, to_timestamp(t / 1000), p, v, s
    FROM unnest($1::text[], $2::text[], $3::float8[], $4::uuid[], $5::float8[], $6::bool[]) AS u(d, m, t, p, v, s)
  ON CONFLICT DO NOTHING`;

/**
 * Plain PostgreSQL keeps the hourly rollup in the same statement, from the rows actually
 * inserted (a duplicate never counts twice). Rows go in key order so that two writers touching
 * the same buckets lock them in the same order (no deadlock, only a short wait).
 */
const HOURLY_ROLLUP = `
  hourly AS (
    INSERT INTO readings_hourly (patient_id, metric, bucket, min_value, max_value, sum_value, n)
    SELECT patient_id, metric, date_trunc('hour', time, 'UTC'), min(value), max(value), sum(value), count(*)
      FROM ins WHERE signal_ok
     GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (patient_id, metric, bucket) DO UPDATE SET
      min_value = least(readings_hourly.min_value, EXCLUDED.min_value),
      max_value = greatest(readings_hourly.max_value, EXCLUDED.max_value),
      sum_value = readings_hourly.sum_value + EXCLUDED.sum_value,
      n = readings_hourly.n + EXCLUDED.n
  ),`;

/** The night_sessions column of each session field (ventilator and concentrator sessions share the table). */
const SESSION_COLUMN: Readonly<Record<SessionField, string>> = {
  usageHours: 'usage_hours',
  leakP95: 'leak_p95',
  leakMedian: 'leak_median',
  leakMean: 'leak_mean',
  ahi: 'ahi',
  respRateMedian: 'resp_rate_median',
  tidalVolumeMedian: 'tidal_volume_median',
  minuteVentilationMedian: 'minute_ventilation_median',
  triggeredBreathsPct: 'triggered_breaths_pct',
  o2UsageHours: 'o2_usage_hours',
  o2FlowMean: 'o2_flow_mean',
};
const SESSION_COLUMNS = SESSION_FIELD_NAMES.map((f) => SESSION_COLUMN[f]);

export function batchStatement(flavour: DatabaseFlavour): string {
  const sessionParams = SESSION_COLUMNS.map((_, i) => `$${11 + i}::float8[]`).join(', ');
  const sessionAliases = SESSION_COLUMNS.map((_, i) => `f${i}`).join(', ');
  // Parameters after the sessions' columns: rejections (6), then statuses (5).
  const p = (k: number) => `$${11 + SESSION_COLUMNS.length + k}`;
  const returning = flavour === 'postgres' ? 'RETURNING patient_id, metric, time, value, signal_ok' : 'RETURNING 1';
  return `
WITH ins AS (${READINGS_INSERT}
  ${returning}
),${flavour === 'postgres' ? HOURLY_ROLLUP : ''}
sess AS (
  INSERT INTO night_sessions (device_id, start_at, end_at, patient_id, ${SESSION_COLUMNS.join(', ')})
  SELECT d, to_timestamp(s / 1000), to_timestamp(e / 1000), p, ${sessionAliases}
    FROM unnest($7::text[], $8::float8[], $9::float8[], $10::uuid[], ${sessionParams}) AS u(d, s, e, p, ${sessionAliases})
  ON CONFLICT (device_id, start_at) DO NOTHING
  RETURNING 1
),
rej AS (
  INSERT INTO rejections (device_id, topic, reason, detail, received_at, excerpt)
  SELECT d, t, r, x, to_timestamp(a / 1000), e
    FROM unnest(${p(0)}::text[], ${p(1)}::text[], ${p(2)}::text[], ${p(3)}::text[], ${p(4)}::float8[], ${p(5)}::text[]) AS u(d, t, r, x, a, e)
),
st AS (
  UPDATE devices dv SET online = u.online,
         battery = coalesce(u.battery, dv.battery),
         firmware = coalesce(u.firmware, dv.firmware),
         status_at = to_timestamp(u.at / 1000)
    FROM unnest(${p(6)}::text[], ${p(7)}::bool[], ${p(8)}::int2[], ${p(9)}::text[], ${p(10)}::float8[]) AS u(device_id, online, battery, firmware, at)
   WHERE dv.device_id = u.device_id
     AND (dv.status_at IS NULL OR dv.status_at <= to_timestamp(u.at / 1000))
)
SELECT (SELECT count(*) FROM ins)::int AS readings, (SELECT count(*) FROM sess)::int AS sessions`;
}

/** The statement's parameters: readings as hand-built array literals, the small parts through pg. */
export function batchParameters(batch: IngestBatch): unknown[] {
  const statusIds = [...batch.statuses.keys()].sort();
  const statuses = statusIds.map((id) => batch.statuses.get(id)!);
  return [
    quotedTextArray(batch.deviceIds),
    quotedTextArray(batch.metrics),
    numberArray(batch.times),
    quotedTextArray(batch.patientIds),
    numberArray(batch.values),
    boolArray(batch.signalOk),
    batch.sessionDeviceIds,
    batch.sessionStarts,
    batch.sessionEnds,
    batch.sessionPatientIds,
    ...SESSION_FIELD_NAMES.map((f) => batch.sessionValues[f]),
    batch.rejectionDeviceIds,
    batch.rejectionTopics,
    batch.rejectionReasons,
    batch.rejectionDetails,
    batch.rejectionTimes,
    batch.rejectionExcerpts,
    statusIds,
    statuses.map((s) => s.online),
    statuses.map((s) => s.battery),
    statuses.map((s) => s.firmware),
    statuses.map((s) => s.at),
  ];
}

/**
 * SQLSTATE classes caused by the data itself (22 data exception, 23 integrity constraint): the
 * same batch would fail again, so it is split to find the message responsible. Everything else
 * (connection lost, server shutting down, deadlock, disk full, schema missing) is retried.
 */
export function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

/**
 * Writes ingest batches: each is ONE statement (readings + rollup + sessions + dead letters +
 * statuses), so it is atomic without BEGIN/COMMIT round trips and safe to retry (every part is
 * idempotent except the dead letters, which may then be recorded twice). Uses its own small pool
 * (one connection per writer) so ingestion neither starves nor is starved by the API.
 */
@Injectable()
export class ReadingRepository implements OnApplicationShutdown {
  private readonly pool: pg.Pool;
  private flavour: DatabaseFlavour | undefined;
  private statement: { name: string; text: string } | undefined;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.pool = new pg.Pool({
      connectionString: config.database.url,
      max: config.ingest.writers,
      application_name: 'telemonitoring-ingest',
      keepAlive: true,
      connectionTimeoutMillis: 10_000,
      // A batch stuck longer than this is abandoned and retried (never acknowledged meanwhile).
      query_timeout: 60_000,
    });
    this.pool.on('error', () => undefined);
    // A connection killed while checked out but between queries (or right after its last one)
    // reports it as an 'error' event: without a listener that would crash the process. The
    // query that fails because of it is retried.
    this.pool.on('connect', (client) => client.on('error', () => undefined));
  }

  async commit(batch: IngestBatch): Promise<CommitResult> {
    const statement = this.statement ?? (await this.prepare());
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      const result = await client.query<{ readings: number; sessions: number }>({
        name: statement.name,
        text: statement.text,
        values: batchParameters(batch),
      });
      return { insertedRows: result.rows[0]!.readings, insertedSessions: result.rows[0]!.sessions };
    } catch (err) {
      // A data error leaves the connection usable; anything else may not have.
      if (!isDataError(err)) broken = err as Error;
      throw err;
    } finally {
      client.release(broken);
    }
  }

  get databaseFlavour(): DatabaseFlavour | undefined {
    return this.flavour;
  }

  private async prepare(): Promise<{ name: string; text: string }> {
    this.flavour = await databaseFlavour(this.pool);
    this.statement = { name: `tm_ingest_batch_${this.flavour}`, text: batchStatement(this.flavour) };
    return this.statement;
  }

  async onApplicationShutdown(): Promise<void> {
    // pool.end() waits for checked-out connections: a statement stuck on a dead server must not
    // hold the shutdown (it was not acknowledged; the broker redelivers it).
    const ended = this.pool.end().catch(() => undefined);
    await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
  }
}
