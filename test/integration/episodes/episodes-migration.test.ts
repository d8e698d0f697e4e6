import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { migrate } from '../../../apps/server/src/database/migrator.js';
import { MIGRATIONS_DIR } from '../../../apps/server/src/paths.js';
import { DEMO_PATIENTS } from '../../../apps/server/src/demo/demo-data.js';
import { createScratchDatabase, type ScratchDatabase } from '../../support/scratch-db.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';
import pg from 'pg';
import { therapyDayWindow } from '#domain';
import { issuePatientScope } from '../../../apps/server/src/access/patient-scope.js';
import { TherapyDataRepository } from '../../../apps/server/src/episodes/therapy-data.repository.js';

jest.setTimeout(90000);

const EPISODES_MIGRATION = '20261206120000_episodes.sql';

describe('the episodes migration', () => {
  let db: ScratchDatabase;
  let pool: pg.Pool;

  beforeAll(async () => {
    // The schema as the previous version left it: every migration older than this one.
    db = await createScratchDatabase('episodes_mig', { migratedBefore: EPISODES_MIGRATION });
    pool = db.pool;
  });
  afterAll(async () => {
    await db.drop();
  });

  it('gives every existing patient one active episode from its registration date (patient zone), no prescriber', async () => {
    const team = (await pool.query(`INSERT INTO care_teams (name) VALUES ('t') RETURNING id`)).rows[0].id;
    const paris = (
      await pool.query(`INSERT INTO patients (display_name, profile, care_team_id, created_at) VALUES ('a', 'standard', $1, '2026-03-01T23:30:00Z') RETURNING id`, [team])
    ).rows[0].id;
    const auckland = (
      await pool.query(
        `INSERT INTO patients (display_name, profile, care_team_id, timezone, created_at) VALUES ('b', 'standard', $1, 'Pacific/Auckland', '2026-06-30T13:00:00Z') RETURNING id`,
        [team],
      )
    ).rows[0].id;
    await migrate(pool, MIGRATIONS_DIR);
    const { rows } = await pool.query(
      `SELECT patient_id, indication, prescriber_id, origin, status, to_char(start_date, 'YYYY-MM-DD') AS start FROM episodes ORDER BY start_date`,
    );
    expect(rows).toEqual([
      { patient_id: paris, indication: 'niv', prescriber_id: null, origin: 'migration', status: 'active', start: '2026-03-02' },
      { patient_id: auckland, indication: 'niv', prescriber_id: null, origin: 'migration', status: 'active', start: '2026-07-01' },
    ]);
    // The API never creates an episode without a prescriber: only the migration's may lack one.
    await expect(pool.query(`INSERT INTO episodes (patient_id, indication, start_date) VALUES ($1, 'niv', '2026-01-01')`, [paris])).rejects.toThrow(/check constraint/);
  });
  it('reads the session fields of the home-oxygen migration (leakMedian, leakMean, o2UsageHours, o2FlowMean) on the migrated database', async () => {
    // The columns and the concentrator kind come from 20261207100000_home-oxygen-sessions.sql (applied by the test above).
    const team = (await pool.query(`INSERT INTO care_teams (name) VALUES ('t2') RETURNING id`)).rows[0].id;
    const patientId = (await pool.query(`INSERT INTO patients (display_name, profile, care_team_id) VALUES ('c', 'standard', $1) RETURNING id`, [team])).rows[0].id;
    await pool.query(`INSERT INTO devices (device_id, kind, patient_id, secret_hash) VALUES ('VE-future', 'ventilator', $1, 'x'), ('OC-future', 'concentrator', $1, 'x')`, [patientId]);
    await pool.query(
      `INSERT INTO night_sessions (device_id, start_at, end_at, patient_id, usage_hours, leak_median, leak_mean, o2_usage_hours, o2_flow_mean) VALUES
         ('VE-future', '2026-11-20T21:00Z', '2026-11-21T03:00Z', $1, 6, 12, 18, NULL, NULL),
         ('VE-future', '2026-11-21T04:00Z', '2026-11-21T06:00Z', $1, 2, 20, 30, NULL, NULL),
         ('OC-future', '2026-11-20T14:00Z', '2026-11-21T08:00Z', $1, NULL, NULL, NULL, 15, 2)`,
      [patientId],
    );
    const scope = issuePatientScope({ id: patientId });
    const repo = new TherapyDataRepository(pool);
    const devices = await repo.devices(scope);
    const [day] = await repo.aggregates(scope, devices.ids, [therapyDayWindow('2026-11-20', 'Europe/Paris')]);
    expect(day).toMatchObject({
      ventilatorSessions: 2,
      ventilationHours: 8,
      // Weighted by the sessions' hours: (12·6 + 20·2) / 8, (18·6 + 30·2) / 8.
      sessionLeakMedian: 14,
      sessionLeakMean: 21,
      oxygenSessions: 1,
      o2SessionHours: 15,
      sessionO2FlowMean: 2,
    });
  });
});

describe('the demo seed', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ roles: ['api'], env: { DEMO: 'true', DEMO_SIMULATOR: 'false' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it("gives each demo patient an active episode prescribed by the demo team's physician", async () => {
    const deadline = Date.now() + 15000;
    let rows: { n: number; prescriber: string | null }[] = [];
    while (Date.now() < deadline) {
      rows = (
        await t.pool.query(
          `SELECT count(e.id)::int AS n, min(u.username) AS prescriber
             FROM patients p JOIN care_teams c ON c.id = p.care_team_id AND c.name = 'Demo team'
             LEFT JOIN episodes e ON e.patient_id = p.id AND e.status = 'active' LEFT JOIN users u ON u.id = e.prescriber_id
            GROUP BY p.id`,
        )
      ).rows;
      if (rows.length === DEMO_PATIENTS.length && rows.every((r) => r.n === 1)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(rows).toHaveLength(DEMO_PATIENTS.length);
    expect(rows.every((r) => r.n === 1 && r.prescriber === 'dr.demo')).toBe(true);
  });
});
