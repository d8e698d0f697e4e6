/**
 * The what-if's read (ReplayDataRepository.forEachSample: one binary COPY per device, grouped by
 * time in Node) against real PostgreSQL: the same samples as the live rules' grouping of the plain
 * rows (toRuleSamples), NULL-free metrics absent, signal_ok false kept, the period's bounds
 * respected; an abandoned copy gives its connection up (a pool of one still works afterwards).
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import pg from 'pg';
import type { RuleSample } from '#rules';
import { issuePatientScope } from '../../../apps/server/src/access/patient-scope.js';
import { ReplayDataRepository } from '../../../apps/server/src/alerts/replay-data.repository.js';
import { toRuleSamples } from '../../../apps/server/src/alerts/rule-data.repository.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';
import { TEST_DATABASE_URL } from '../../support/test-env.js';

jest.setTimeout(60_000);

describe('ReplayDataRepository: the replay read by binary COPY', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ roles: ['api'] });
  });
  afterAll(async () => {
    await t.close();
  });

  async function seeded() {
    const { patient, device } = await t.ctx.newTeamWithPatient();
    const T = Date.UTC(2026, 10, 20, 8);
    // 3,000 s of 1 Hz samples, spread over many COPY buffers: SpO2 and pulse each second, O2 flow
    // every 10 s, pulse missing every 7th second, a poor signal every 13th, and sub-second times.
    await t.pool.query(
      `INSERT INTO readings (device_id, metric, time, patient_id, value, signal_ok)
       SELECT $1, m.metric, to_timestamp(($2::float8 + i * 1000 + (i % 3) * 0.25) / 1000), $3,
              CASE m.metric WHEN 'spo2' THEN 85 + i % 11 WHEN 'pulseRate' THEN 60 + i % 50 ELSE 1.5 END, i % 13 <> 0 OR m.metric <> 'spo2'
         FROM generate_series(0, 2999) i, (VALUES ('spo2'), ('pulseRate'), ('o2Flow'), ('respRate')) m(metric)
        WHERE (m.metric <> 'pulseRate' OR i % 7 <> 0) AND (m.metric <> 'o2Flow' OR i % 10 = 0)`,
      [device.deviceId, T, patient.id],
    );
    return { patient: issuePatientScope({ id: patient.id }), deviceId: device.deviceId, T };
  }

  it('gives the samples the live grouping gives, in time order, within [from, to)', async () => {
    const { patient, deviceId, T } = await seeded();
    const from = T + 100_000;
    const to = T + 2_900_000;
    const { rows } = await t.pool.query<{ time: Date; metric: string; value: number; signal_ok: boolean }>(
      `SELECT time, metric, value, signal_ok FROM readings
        WHERE device_id = $1 AND metric = ANY($2) AND time >= $3 AND time < $4 ORDER BY time, metric`,
      [deviceId, ['spo2', 'pulseRate', 'o2Flow'], new Date(from), new Date(to)],
    );
    const expected = toRuleSamples(rows);
    const got: RuleSample[] = [];
    const n = await new ReplayDataRepository(t.pool).forEachSample(patient, deviceId, from, to, (s) => {
      got.push({ at: s.at, values: Object.fromEntries(Object.entries(s.values).filter(([, v]) => v !== undefined)), signalOk: s.signalOk });
    });
    expect(expected).toHaveLength(2800);
    expect(expected.filter((s) => !s.signalOk).length).toBeGreaterThan(100);
    expect(n).toBe(expected.length);
    expect(got).toEqual(expected);
  });

  it('an abandoned read gives its connection up: a pool of one still answers', async () => {
    const { patient, deviceId, T } = await seeded();
    const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 1 });
    try {
      const repo = new ReplayDataRepository(pool);
      await expect(
        repo.forEachSample(patient, deviceId, T, T + 3_000_000, () => {
          throw new Error('stop');
        }),
      ).rejects.toThrow('stop');
      expect(await repo.forEachSample(patient, deviceId, T, T + 3_000_000, () => undefined)).toBe(3000);
      expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one).toBe(1);
    } finally {
      await pool.end();
    }
  });
});
