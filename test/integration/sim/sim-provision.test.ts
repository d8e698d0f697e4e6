import { describe, expect, it, jest } from '@jest/globals';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { assignScenarios, devicesFor, hashSeed, provision, readCredentials, runSimulation, writeCredentials } from '#devices-sim';
import { eventually } from '../../support/test-app.js';
import { TEST_MQTT_URL } from '../../support/test-env.js';
import { readingCount, useSimBackend } from './sim-support.js';

jest.setTimeout(60_000);

// Needs the admin registry REST (apps/server/src/registry/devices.controller.ts) and ingestion.
describe('--provision through the REST API, then devices connect with their own credentials', () => {
  const sim = useSimBackend({ tempDir: 'sim-creds-' });

  it('registers patients and devices, keeps the secrets in a 0600 file, reuses them, and the devices get data in', async () => {
    const { t, used, dir } = sim;
    const admin = await t.ctx.newUser('admin');
    const plans = assignScenarios(3, 'mixed'); // stable (hypercapnic: 2 devices), critical-drop, stable (standard)
    const creds = await provision({ apiUrl: t.url, adminToken: admin.token, plans });
    expect(creds.patients.map((p) => p.devices.map((d) => d.kind))).toEqual(plans.map((p) => devicesFor(p)));
    const ids = creds.patients.flatMap((p) => p.devices.map((d) => d.deviceId));
    used.push(...ids);
    const { rows } = await t.pool.query(
      `SELECT d.device_id, d.kind, p.profile, p.care_team_id FROM devices d JOIN patients p ON p.id = d.patient_id WHERE d.device_id = ANY($1)`,
      [ids],
    );
    expect(rows).toHaveLength(ids.length);
    expect(new Set(rows.map((r) => r.care_team_id))).toEqual(new Set([creds.careTeamId]));
    // Under telemonitoring (the rules run only then): one active episode each, prescribed by a physician of the team.
    const episodes = await t.pool.query(
      `SELECT e.patient_id, u.role, m.care_team_id FROM episodes e JOIN users u ON u.id = e.prescriber_id
         LEFT JOIN user_care_teams m ON m.user_id = u.id WHERE e.status = 'active' AND e.patient_id = ANY($1::uuid[])`,
      [creds.patients.map((p) => p.patientId)],
    );
    expect(episodes.rows.map((r) => r.patient_id).sort()).toEqual(creds.patients.map((p) => p.patientId).sort());
    expect(new Set(episodes.rows.map((r) => `${r.role} ${r.care_team_id}`))).toEqual(new Set([`physician ${creds.careTeamId}`]));

    const file = join(dir, 'creds.json');
    await writeCredentials(file, creds);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const reread = await readCredentials(file);
    expect(reread).toEqual(creds);

    // a second run with one more patient reuses the three and registers only the fourth
    const more = await provision({ apiUrl: t.url, adminToken: admin.token, plans: assignScenarios(4, 'mixed'), existing: reread });
    expect(more.patients.slice(0, 3)).toEqual(creds.patients);
    expect(more.patients).toHaveLength(4);
    used.push(...more.patients[3]!.devices.map((d) => d.deviceId));

    const summary = await runSimulation({
      mqttUrl: TEST_MQTT_URL,
      now: Date.now(),
      historyMs: 3_600_000,
      durationMs: 3000,
      patients: more.patients.map((p) => ({ scenario: p.scenario, profile: p.profile, seed: hashSeed(1, p.index), devices: p.devices })),
    });
    expect(summary).toMatchObject({ connected: 5, failed: 0, errors: [] });
    for (const p of more.patients) {
      for (const d of p.devices.filter((x) => x.kind === 'oximeter')) {
        await eventually(async () => (await readingCount(t, [d.deviceId])) > 100, 30_000);
      }
    }
  });

  it('refuses to provision without an admin', async () => {
    const { t } = sim;
    const nurse = await t.ctx.newUser('nurse');
    await expect(provision({ apiUrl: t.url, adminToken: nurse.token, plans: assignScenarios(1, 'stable') })).rejects.toThrow(/403/);
  });
});
