import { describe, expect, it, jest } from '@jest/globals';
import { DAY_MS, runSimulation, simulationStreams, type SimulationOptions } from '#devices-sim';
import { eventually } from '../../support/test-app.js';
import { TEST_MQTT_URL } from '../../support/test-env.js';
import { alertRules, expectedStorage, readingCount, useSimBackend } from './sim-support.js';

jest.setTimeout(60_000);

// Needs ingestion (apps/server/src/ingest/mqtt-consumer.ts).
describe('simulated devices → broker → ingestion → readings', () => {
  const sim = useSimBackend();

  it('a stable NIV patient: 3 days of history then live, every value and session stored once, status reported', async () => {
    const { t } = sim;
    const { devices } = await sim.newPatient('hypercapnic', ['oximeter', 'ventilator']);
    const [oximeter, ventilator] = devices;
    const options: Omit<SimulationOptions, 'mqttUrl'> & { now: number } = {
      now: Date.now(),
      historyMs: 3 * DAY_MS,
      durationMs: 6000,
      tuning: { historySampleIntervalMs: 60_000 },
      patients: [
        {
          scenario: 'stable',
          seed: 5,
          devices,
        },
      ],
    };
    const expected = expectedStorage(simulationStreams(options), options.now + 10_000);
    const summary = await runSimulation({ ...options, mqttUrl: TEST_MQTT_URL });
    expect(summary).toMatchObject({ devices: 2, connected: 2, failed: 0, errors: [] });
    expect(summary.acknowledged).toBe(summary.sent);

    await eventually(async () => (await readingCount(t, [oximeter.deviceId, ventilator.deviceId])) === expected.totalRows, 30_000);
    expect(await readingCount(t, [oximeter.deviceId])).toBe(expected.rows.get(oximeter.deviceId));
    const sessions = await t.pool.query(`SELECT count(*)::int AS n FROM night_sessions WHERE device_id = $1`, [ventilator.deviceId]);
    expect(sessions.rows[0].n).toBe(expected.sessions.get(ventilator.deviceId));
    expect(sessions.rows[0].n).toBeGreaterThanOrEqual(2);
    // the live part is at 1 Hz
    const live = await t.pool.query(
      `SELECT count(DISTINCT time)::int AS n FROM readings WHERE device_id = $1 AND time >= to_timestamp($2 / 1000.0)`,
      [oximeter.deviceId, options.now],
    );
    expect(live.rows[0].n).toBeGreaterThanOrEqual(4);
    // a clean goodbye: retained offline status after the online one (battery, firmware)
    await eventually(async () => {
      const { rows } = await t.pool.query(`SELECT online, firmware FROM devices WHERE device_id = $1`, [oximeter.deviceId]);
      return rows[0].firmware === '2.4.1' && rows[0].online === false;
    });
    const rejections = await t.pool.query(`SELECT reason FROM rejections WHERE device_id = ANY($1)`, [[oximeter.deviceId, ventilator.deviceId]]);
    expect(rejections.rows).toEqual([]);
  });

  it('refuses nothing of a clock-skewed device within the tolerance', async () => {
    const { t } = sim;
    const { patient, devices } = await sim.newPatient('hypercapnic', ['oximeter']);
    const [oximeter] = devices;
    const options = { now: Date.now(), historyMs: 3_600_000, durationMs: 3000, patients: [{ scenario: 'clock-skew' as const, seed: 2, devices }] };
    const expected = expectedStorage(simulationStreams(options), options.now + 300_000);
    await runSimulation({ ...options, mqttUrl: TEST_MQTT_URL });
    await eventually(async () => (await readingCount(t, [oximeter.deviceId])) === expected.totalRows, 30_000);
    const { rows } = await t.pool.query(`SELECT max(time) AS newest FROM readings WHERE device_id = $1`, [oximeter.deviceId]);
    expect((rows[0].newest as Date).getTime()).toBeGreaterThan(options.now + 3 * 60_000);
    // The scenario's outcome: a skewed clock alone raises nothing (its values are stable). The
    // rules run after each commit: give the last batch's evaluation time to finish first.
    await new Promise((r) => setTimeout(r, 2000));
    expect(await alertRules(t, patient.id)).toEqual([]);
  });
});
