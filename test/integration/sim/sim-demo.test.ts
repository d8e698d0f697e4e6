import { describe, expect, it, jest } from '@jest/globals';
import { startDemoSimulation, type DemoDevice } from '#devices-sim';
import { eventually } from '../../support/test-app.js';
import { TEST_MQTT_URL } from '../../support/test-env.js';
import { alertRules, useSimBackend } from './sim-support.js';

jest.setTimeout(90_000);

// The backend's demo starts the simulator in-process (startDemoSimulation): acute alerts must
// come within the first minute. Needs ingestion and the rules engine.
describe('demo simulation: alerts within the first minute', () => {
  const sim = useSimBackend();

  it('raises the critical drop and the desaturation within a minute, nothing for the stable patient, and stops', async () => {
    const { t, used } = sim;
    const team = await t.ctx.newCareTeam();
    const critical = await t.ctx.newPatient(team.id, 'hypercapnic');
    const desat = await t.ctx.newPatient(team.id, 'hypercapnic');
    const stable = await t.ctx.newPatient(team.id, 'hypercapnic');
    const devices: DemoDevice[] = [
      { ...(await t.ctx.newDevice(critical.id, 'oximeter')), kind: 'oximeter', scenario: 'critical-drop', patientId: critical.id },
      { ...(await t.ctx.newDevice(desat.id, 'oximeter')), kind: 'oximeter', scenario: 'nocturnal-desaturation', patientId: desat.id },
      { ...(await t.ctx.newDevice(stable.id, 'oximeter')), kind: 'oximeter', scenario: 'stable', patientId: stable.id },
      { ...(await t.ctx.newDevice(stable.id, 'ventilator')), kind: 'ventilator', scenario: 'stable', patientId: stable.id },
    ];
    used.push(...devices.map((d) => d.deviceId));
    const started = Date.now();
    const demo = startDemoSimulation({ mqttUrl: TEST_MQTT_URL, devices, historyDays: 2 });
    try {
      await eventually(async () => (await alertRules(t, critical.id)).includes('spo2.critical'), 60_000, 500);
      await eventually(async () => (await alertRules(t, desat.id)).includes('spo2.low'), 60_000, 500);
      expect(Date.now() - started).toBeLessThan(75_000);
      expect(await alertRules(t, stable.id)).toEqual([]);
    } finally {
      await demo.stop();
    }
    const summary = await demo.done;
    expect(summary).toMatchObject({ devices: 4, connected: 4, failed: 0, errors: [] });
  });
});
