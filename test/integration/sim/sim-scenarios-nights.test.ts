import { describe, expect, it, jest } from '@jest/globals';
import { historyRunFor, runSimulation, SCENARIOS, simulationStreams, type ScenarioId, type SimulationOptions } from '#devices-sim';
import { eventually } from '../../support/test-app.js';
import { TEST_MQTT_URL } from '../../support/test-env.js';
import { activeAlertRules, alertRules, expectedStorage, readingCount, ruleJobs, useSimBackend } from './sim-support.js';

jest.setTimeout(120_000);

/**
 * Multi-night scenarios played as weeks of accelerated history (oximetry every 60 s, a
 * ventilator session per night) through the real backend: night rules run as sessions arrive,
 * oximetry.baseline and device.silent are scheduler jobs, called here with the time to run at.
 * Needs ingestion, the rules engine and apps/server/src/alerts/alert-jobs.service.ts.
 */
describe('multi-night scenarios → the rules they are named for', () => {
  const sim = useSimBackend();

  async function play(scenario: ScenarioId, seed: number, historyDays?: number): Promise<string> {
    const { t } = sim;
    const def = SCENARIOS[scenario];
    const { patient, devices } = await sim.newPatient(def.profile, def.devices);
    const now = Date.now();
    const run = historyRunFor(scenario, now);
    const options: Omit<SimulationOptions, 'mqttUrl'> & { now: number } = {
      now,
      historyMs: historyDays === undefined ? now - run.from : historyDays * 86_400_000,
      durationMs: 0,
      tuning: { historySampleIntervalMs: 60_000 },
      maxInflight: 50,
      patients: [{ scenario, seed, devices, eventAt: run.eventAt }],
    };
    const expected = expectedStorage(simulationStreams(options), now + 60_000);
    const summary = await runSimulation({ ...options, mqttUrl: TEST_MQTT_URL });
    expect(summary.failed).toBe(0);
    const ids = devices.map((d) => d.deviceId);
    await eventually(async () => (await readingCount(t, ids)) === expected.totalRows, 60_000, 250);
    const sessions = [...expected.sessions.values()].reduce((a, b) => a + b, 0);
    await eventually(async () => {
      const { rows } = await t.pool.query(`SELECT count(*)::int AS n FROM night_sessions WHERE device_id = ANY($1)`, [ids]);
      return rows[0].n === sessions;
    });
    // the nightly job (oximetry.baseline; night rules for the last complete night), run now
    await (await ruleJobs(t)).runNightly(new Date(now), { patientIds: [patient.id] });
    return patient.id;
  }

  it.each(['mask-leak', 'high-ahi', 'poor-adherence', 'irregular-usage', 'exacerbation'] as const)('%s', async (scenario) => {
    const { t } = sim;
    const patientId = await play(scenario, 2);
    const expected = [...SCENARIOS[scenario].expectedRules].sort();
    await eventually(async () => (await activeAlertRules(t, patientId)).length >= expected.length, 20_000);
    // once every night is in: exactly the rules the scenario is named for
    expect(await activeAlertRules(t, patientId)).toEqual(expected);
  });

  // Long-term oxygen: a concentrator's flow samples and sessions, day after day.
  it.each(['oxygen-underuse', 'oxygen-adherent'] as const)('%s', async (scenario) => {
    const { t } = sim;
    const patientId = await play(scenario, 3);
    const expected = [...SCENARIOS[scenario].expectedRules].sort();
    await eventually(async () => (await activeAlertRules(t, patientId)).length >= expected.length, 20_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await alertRules(t, patientId)).toEqual(expected);
    // the hours of the complete days, as GET /days counts them (sessions' o2UsageHours per therapy day)
    const { rows } = await t.pool.query<{ day: Date; hours: number }>(
      `SELECT ((s.start_at AT TIME ZONE 'Europe/Paris') - interval '12 hours')::date AS day, sum(s.o2_usage_hours) AS hours
         FROM night_sessions s JOIN devices d ON d.device_id = s.device_id AND d.kind = 'concentrator'
        WHERE s.patient_id = $1 GROUP BY 1 ORDER BY 1`, // by day: the first and last days are the partial ones
      [patientId],
    );
    expect(rows.length).toBeGreaterThanOrEqual(7);
    const full = rows.slice(1, -1).map((r) => r.hours); // the first and last days of the run may be partial
    if (scenario === 'oxygen-adherent') expect(Math.min(...full)).toBeGreaterThanOrEqual(16);
    else expect(Math.max(...full)).toBeLessThan(15);
  });

  // A device uploading weeks of nights in order: the sessions are committed out of order by the
  // parallel ingest connections ($share round robin). A night rule evaluated while earlier nights
  // are still in flight must not count them as 0 h of use (a false niv.adherence /
  // niv.usage_variability alert that resolves itself a second later is still a nurse's alert).
  it('stable with two weeks of history trips nothing, not even for a moment', async () => {
    const { t } = sim;
    const patientId = await play('stable', 2, 14);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await alertRules(t, patientId)).toEqual([]);
  });

  it('device-silent: the device drops off (Last Will), and the silence job a day later raises device.silent', async () => {
    const { t } = sim;
    const { patient, devices } = await sim.newPatient('hypercapnic', ['oximeter']);
    const [device] = devices;
    const now = Date.now();
    // live: 10 minutes of history, then silent 2 s after the start
    await runSimulation({ mqttUrl: TEST_MQTT_URL, now, historyMs: 600_000, patients: [{ scenario: 'device-silent', seed: 1, devices: [device], eventAt: now + 2000 }] });
    await eventually(async () => {
      const { rows } = await t.pool.query(`SELECT online, last_seen_at FROM devices WHERE device_id = $1`, [device.deviceId]);
      return rows[0].online === false && rows[0].last_seen_at !== null;
    });
    const jobs = await ruleJobs(t);
    await jobs.checkSilentDevices(new Date(Date.now() + 3_600_000), { patientIds: [patient.id] });
    expect(await alertRules(t, patient.id)).toEqual([]);
    await jobs.checkSilentDevices(new Date(Date.now() + 25 * 3_600_000), { patientIds: [patient.id] });
    expect(await alertRules(t, patient.id)).toEqual(['device.silent']);
  });
});
