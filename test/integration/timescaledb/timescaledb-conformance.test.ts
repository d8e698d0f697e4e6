import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { NightsRepository } from '../../../apps/server/src/clinical/nights.repository.js';
import { NightsService } from '../../../apps/server/src/clinical/nights.service.js';
import { planTrend, type TrendBucket } from '../../../apps/server/src/clinical/trend-range.js';
import { TrendsRepository, type TrendBucketView } from '../../../apps/server/src/clinical/trends.repository.js';
import { databaseFlavour, migrate } from '../../../apps/server/src/database/migrator.js';
import { FhirRepository } from '../../../apps/server/src/fhir/fhir.repository.js';
import { MIGRATIONS_DIR } from '../../../apps/server/src/paths.js';
import { startPgliteTimescale, type PgliteTimescale } from '../../support/pglite-timescaledb.js';
import { insertReadings, regular, type FixtureReading } from '../../support/readings-fixture.js';
import { TEST_DATABASE_URL } from '../../support/test-env.js';
import { issuePatientScope } from '../../../apps/server/src/access/patient-scope.js';
import { standaloneDatabase, type StandaloneDatabase } from '../../support/transaction-runner.js';
import { TherapyDataRepository } from '../../../apps/server/src/episodes/therapy-data.repository.js';
import { OverviewRepository } from '../../../apps/server/src/overview/overview.repository.js';
import { therapyDayWindow } from '#domain';

// jest.config's testTimeout is not applied per project: hooks would get 5 s on a loaded machine.
jest.setTimeout(60000);

// Port from this area's range (55440–55449). PGlite is slow and single-connection: small data only.
const PORT = 55441;
const DAY = 86_400_000;

/**
 * The TimescaleDB flavour, for real: every migration through the project's migrator on TimescaleDB
 * (PGlite build), the hypertable / compression / retention / continuous aggregate checked in
 * timescaledb_information, and the trend, night and FHIR queries compared with plain PostgreSQL
 * on the same data.
 */
describe('TimescaleDB flavour (PGlite) conforms to plain PostgreSQL', () => {
  let tsdb: PgliteTimescale;
  let ts: pg.Pool;
  let plain: pg.Pool;
  // The analytical reads run in the data source's transactions (TransactionRunner), as in the server.
  let tsDb: StandaloneDatabase;
  let plainDb: StandaloneDatabase;
  const patientId = randomUUID();
  // The repositories' proof of access; this test reads as the server itself.
  const scope = issuePatientScope({ id: patientId });
  const deviceId = `OX-${randomUUID().slice(0, 8)}`;
  const yesterday = Math.floor(Date.now() / DAY) * DAY - DAY;
  let data: FixtureReading[];

  beforeAll(async () => {
    tsdb = await startPgliteTimescale(PORT);
    tsDb = await standaloneDatabase(tsdb.url, 1);
    plainDb = await standaloneDatabase(TEST_DATABASE_URL, 2);
    ts = tsDb.pool;
    plain = plainDb.pool;
    const result = await migrate(ts, MIGRATIONS_DIR);
    expect(result.flavour).toBe('timescaledb');
    expect(result.applied).toContain('20261123150100_readings-rollup.timescaledb.sql');
    expect(result.applied).not.toContain('20261123150100_readings-rollup.postgres.sql');

    // The same patient on both databases.
    for (const pool of [ts, plain]) {
      const team = (await pool.query(`INSERT INTO care_teams (name) VALUES ($1) RETURNING id`, [`ts-${randomUUID()}`])).rows[0].id;
      await pool.query(`INSERT INTO patients (id, display_name, profile, care_team_id, timezone) VALUES ($1, 'P', 'standard', $2, 'UTC')`, [patientId, team]);
      await pool.query(`INSERT INTO devices (device_id, kind, patient_id, secret_hash) VALUES ($1, 'oximeter', $2, 'x')`, [deviceId, patientId]);
    }
    // Two hours across midnight at one sample per 20 s, a dip, poor-signal samples, a pulse series,
    // and a night (yesterday evening) for the nights query.
    const base = { deviceId, patientId };
    const spo2 = Array.from({ length: 360 }, (_, i) => (i >= 150 && i < 160 ? 86 : 93 + (i % 4)));
    data = [
      ...regular({ ...base, metric: 'spo2' }, '2026-10-05T23:00:00Z', 20_000, spo2),
      ...regular({ ...base, metric: 'pulseRate' }, '2026-10-05T23:00:10Z', 60_000, Array.from({ length: 120 }, (_, i) => 60 + (i % 25))),
      { ...base, metric: 'spo2', at: '2026-10-05T23:30:05Z', value: 45, signalOk: false },
      { ...base, metric: 'spo2', at: '2026-10-06T00:10:05Z', value: 99, signalOk: false },
      ...regular({ ...base, metric: 'spo2' }, yesterday + 22 * 3_600_000, 1000, Array.from({ length: 600 }, (_, i) => (i >= 300 && i < 330 ? 87 : 95))),
    ];
    await insertReadings(ts, data, 'timescaledb');
    await insertReadings(plain, data, 'postgres');
  }, 120_000);

  afterAll(async () => {
    await tsDb?.close();
    await plainDb?.close();
    await tsdb?.stop();
  }, 30_000);

  it('makes readings a hypertable with 1-day chunks', async () => {
    expect(await databaseFlavour(ts)).toBe('timescaledb');
    const { rows } = await ts.query(
      `SELECT h.compression_enabled, d.column_name, d.time_interval
         FROM timescaledb_information.hypertables h
         JOIN timescaledb_information.dimensions d USING (hypertable_schema, hypertable_name)
        WHERE h.hypertable_name = 'readings'`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].compression_enabled).toBe(true);
    expect(rows[0].column_name).toBe('time');
    expect(rows[0].time_interval).toMatchObject({ days: 1 });
  });

  it('compresses segmented by patient, device and metric, ordered by time', async () => {
    const { rows } = await ts.query(
      `SELECT attname, segmentby_column_index, orderby_column_index FROM timescaledb_information.compression_settings
        WHERE hypertable_name = 'readings' ORDER BY coalesce(segmentby_column_index, 100 + orderby_column_index)`,
    );
    expect(rows).toEqual([
      { attname: 'patient_id', segmentby_column_index: 1, orderby_column_index: null },
      { attname: 'device_id', segmentby_column_index: 2, orderby_column_index: null },
      { attname: 'metric', segmentby_column_index: 3, orderby_column_index: null },
      { attname: 'time', segmentby_column_index: null, orderby_column_index: 1 },
    ]);
  });

  it('has the compression, retention and refresh policies', async () => {
    const { rows } = await ts.query(
      `SELECT proc_name, hypertable_name, config FROM timescaledb_information.jobs
        WHERE proc_name IN ('policy_compression', 'policy_retention', 'policy_refresh_continuous_aggregate') ORDER BY proc_name`,
    );
    expect(rows).toEqual([
      { proc_name: 'policy_compression', hypertable_name: 'readings', config: expect.objectContaining({ compress_after: '7 days' }) },
      { proc_name: 'policy_refresh_continuous_aggregate', hypertable_name: 'readings_hourly', config: expect.objectContaining({ start_offset: '32 days', end_offset: '01:00:00' }) },
      { proc_name: 'policy_retention', hypertable_name: 'readings', config: expect.objectContaining({ drop_after: '3 years' }) },
    ]);
  });

  it('has readings_hourly as a real-time continuous aggregate with exactly the plain table\'s columns', async () => {
    const cagg = await ts.query(`SELECT materialized_only FROM timescaledb_information.continuous_aggregates WHERE view_name = 'readings_hourly'`);
    expect(cagg.rows).toEqual([{ materialized_only: false }]);
    const columns = `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'readings_hourly' ORDER BY ordinal_position`;
    const onTs = (await ts.query(columns)).rows;
    expect(onTs).toEqual((await plain.query(columns)).rows);
    expect(onTs.map((c) => c.column_name)).toEqual(['patient_id', 'metric', 'bucket', 'min_value', 'max_value', 'sum_value', 'n']);
  });

  const cases: [TrendBucket, string, string, string][] = [
    ['1h', 'spo2', '2026-10-05T20:00:00Z', '2026-10-06T04:00:00Z'],
    ['6h', 'spo2', '2026-10-05T00:00:00Z', '2026-10-07T00:00:00Z'],
    ['1d', 'spo2', '2026-10-01T00:00:00Z', '2026-10-08T00:00:00Z'],
    ['1d', 'pulseRate', '2026-10-01T00:00:00Z', '2026-10-08T00:00:00Z'],
    ['15m', 'spo2', '2026-10-05T22:50:00Z', '2026-10-06T01:10:00Z'],
    ['5m', 'pulseRate', '2026-10-05T23:00:00Z', '2026-10-06T01:00:00Z'],
    ['1m', 'spo2', '2026-10-05T23:45:00Z', '2026-10-06T00:15:00Z'],
  ];

  async function compareTrends(label: string): Promise<void> {
    for (const [bucket, metric, from, to] of cases) {
      const plan = planTrend(bucket, new Date(from), new Date(to));
      const onTs = await new TrendsRepository(ts, tsDb.transactions).buckets(scope, metric, plan);
      const onPlain = await new TrendsRepository(plain, plainDb.transactions).buckets(scope, metric, plan);
      expect({ label, bucket, metric, buckets: onTs.length }).toEqual({ label, bucket, metric, buckets: onPlain.length });
      expect(onTs.length).toBeGreaterThan(0);
      onTs.forEach((b: TrendBucketView, i: number) => {
        const p = onPlain[i]!;
        expect({ start: b.start, min: b.min, max: b.max, count: b.count }).toEqual({ start: p.start, min: p.min, max: p.max, count: p.count });
        expect(b.avg).toBeCloseTo(p.avg, 9);
      });
    }
  }

  it('answers the trend query with the same buckets (real-time aggregation, nothing materialised yet)', async () => {
    await compareTrends('real-time');
  }, 60_000);

  it('still does after materialising the aggregate, compressing the chunks and a late backfill with duplicates', async () => {
    await ts.query(`CALL refresh_continuous_aggregate('readings_hourly', NULL, NULL)`);
    const compressed = await ts.query(`SELECT compress_chunk(c) FROM show_chunks('readings', older_than => now() - INTERVAL '7 days') AS c`);
    expect(compressed.rowCount).toBeGreaterThan(0);
    await compareTrends('materialised and compressed');
    // A device uploads its backlog late: one new sample and a duplicate, into a compressed chunk.
    const backfill: FixtureReading[] = [
      { deviceId, patientId, metric: 'spo2', at: '2026-10-05T23:00:05Z', value: 80 },
      { ...data[0]!, value: 10 },
    ];
    expect(await insertReadings(ts, backfill, 'timescaledb')).toBe(1);
    expect(await insertReadings(plain, backfill, 'postgres')).toBe(1);
    // Materialised buckets pick up backfills at the next refresh (the policy runs every 15 minutes).
    await ts.query(`CALL refresh_continuous_aggregate('readings_hourly', NULL, NULL)`);
    await compareTrends('after backfill');
  }, 60_000);

  it('computes the same nights and the same FHIR page', async () => {
    const now = new Date();
    const nightsOn = (db: StandaloneDatabase) => new NightsService(undefined as never, new NightsRepository(db.pool, db.transactions)).compute(scope, 2, now);
    const [onTs, onPlain] = [await nightsOn(tsDb), await nightsOn(plainDb)];
    expect(onTs).toEqual(onPlain);
    expect(onTs.at(-1)).toMatchObject({ spo2Min: 87, t90Pct: 5, odi3: 6 });

    const page = { patient: scope, metrics: ['spo2', 'pulseRate'] as ('spo2' | 'pulseRate')[], from: new Date('2026-10-05T23:59:00Z'), limit: 50 };
    const fhirTs = await new FhirRepository(ts).readingsPage(page);
    expect(fhirTs).toHaveLength(50);
    expect(fhirTs).toEqual(await new FhirRepository(plain).readingsPage(page));
    const last = fhirTs.at(-1)!;
    const after = { timeUs: last.timeUs, metric: last.metric, deviceId: last.deviceId };
    expect(await new FhirRepository(ts).readingsPage({ ...page, after })).toEqual(await new FhirRepository(plain).readingsPage({ ...page, after }));
  }, 60_000);

  it('computes the same therapy days (days with data, indicators), compressed chunks included', async () => {
    const windows = ['2026-10-04', '2026-10-05', '2026-10-06'].map((d) => therapyDayWindow(d, 'UTC'));
    const on = async (pool: pg.Pool) => {
      const repo = new TherapyDataRepository(pool);
      return { withData: await repo.daysWithData(scope, [deviceId], windows), aggregates: await repo.aggregates(scope, [deviceId], windows) };
    };
    const [onTs, onPlain] = [await on(ts), await on(plain)];
    // 23:00–01:00 UTC on 5–6 October: the therapy day of the 5th (noon to noon, UTC patient).
    expect(onTs.withData).toEqual([false, true, false]);
    expect(onTs).toEqual(onPlain);
    expect(onTs.aggregates[1]!.spo2Mean).not.toBeNull();
  }, 60_000);

  it('finds the same newest data for the population view (hypertable probes)', async () => {
    const [onTs, onPlain] = [await new OverviewRepository(ts).lastDataAt([scope]), await new OverviewRepository(plain).lastDataAt([scope])];
    // The last sample of yesterday evening's 10 minutes from 22:00 (any signal quality counts).
    expect(onTs.get(patientId)?.getTime()).toBe(yesterday + 22 * 3_600_000 + 599_000);
    expect(onTs).toEqual(onPlain);
  }, 60_000);
});
