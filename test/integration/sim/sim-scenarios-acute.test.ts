import { describe, expect, it, jest } from '@jest/globals';
import { historyRunFor, runSimulation, SCENARIOS, simulationStreams, type ScenarioId, type SimulationOptions } from '#devices-sim';
import { eventually } from '../../support/test-app.js';
import { TEST_MQTT_URL } from '../../support/test-env.js';
import { alertRules, expectedStorage, readingCount, useSimBackend } from './sim-support.js';

jest.setTimeout(60_000);

/**
 * Each acute scenario, played as accelerated history (timestamps in the last 90 minutes, sent
 * as fast as acknowledged) through the real backend, raises exactly the alert it is named for.
 * Needs ingestion (apps/server/src/ingest/mqtt-consumer.ts) and the rules engine wired to it
 * (apps/server/src/alerts/rule-evaluation.service.ts).
 */
describe('acute scenarios → the rule they are named for (real backend, accelerated time)', () => {
  const sim = useSimBackend();

  async function play(scenario: ScenarioId, seed: number): Promise<{ patientId: string; now: number }> {
    const { t } = sim;
    const { patient, devices } = await sim.newPatient(SCENARIOS[scenario].profile, ['oximeter']);
    const now = Date.now();
    const run = historyRunFor(scenario, now);
    const options: Omit<SimulationOptions, 'mqttUrl'> & { now: number } = {
      now,
      historyMs: now - run.from,
      durationMs: 0,
      tuning: { fullRateHistoryMs: run.fullRateHistoryMs },
      patients: [{ scenario, seed, devices, eventAt: run.eventAt }],
    };
    const expected = expectedStorage(simulationStreams(options), now + 60_000);
    const summary = await runSimulation({ ...options, mqttUrl: TEST_MQTT_URL });
    expect(summary.failed).toBe(0);
    await eventually(async () => (await readingCount(t, devices.map((d) => d.deviceId))) === expected.totalRows, 30_000);
    return { patientId: patient.id, now };
  }

  it.each(['critical-drop', 'nocturnal-desaturation', 'sustained-hypoxaemia', 'over-oxygenation', 'tachycardia', 'bradycardia', 'stable'] as const)(
    '%s',
    async (scenario) => {
      const { t } = sim;
      const { patientId } = await play(scenario, 3);
      const expected = [...SCENARIOS[scenario].expectedRules].sort();
      // every sample is stored; the rules run after each commit
      if (expected.length > 0) await eventually(async () => (await alertRules(t, patientId)).length >= expected.length, 20_000);
      else await new Promise((r) => setTimeout(r, 1500));
      expect(await alertRules(t, patientId)).toEqual(expected);
    },
  );

  it('offline-backlog: the desaturation inside the backlog uploaded late raises spo2.low, dated in the past', async () => {
    const { t } = sim;
    const { patientId, now } = await play('offline-backlog', 4);
    await eventually(async () => (await alertRules(t, patientId)).includes('spo2.low'), 20_000);
    expect(await alertRules(t, patientId)).toEqual(['spo2.low']);
    const { rows } = await t.pool.query(`SELECT started_at FROM alerts WHERE patient_id = $1 AND rule = 'spo2.low'`, [patientId]);
    const run = historyRunFor('offline-backlog', now);
    const startedAt = (rows[0].started_at as Date).getTime();
    expect(startedAt).toBeGreaterThanOrEqual(run.eventAt);
    expect(startedAt).toBeLessThan(run.eventAt + 5 * 60_000);
  });
});
