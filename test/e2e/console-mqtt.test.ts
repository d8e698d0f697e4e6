import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import mqtt from 'mqtt';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ARTIFACTS, launch, signIn } from '../support/console-browser.js';
import { eventually, startTestApp, type TestApp } from '../support/test-app.js';
import { TEST_MQTT_URL } from '../support/test-env.js';

/**
 * The whole path in a browser: a device publishes over MQTT, ingestion stores, the rules raise an
 * alert, the console shows it without reloading, the nurse acknowledges it, the database records it.
 */
jest.setTimeout(60000);

describe('nurse console page, alert from an MQTT publish (headless Chromium)', () => {
  let t: TestApp;
  let browser: Awaited<ReturnType<typeof launch>>;

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    t = await startTestApp();
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.context.close();
    if (browser?.dir) await rm(browser.dir, { recursive: true, force: true });
    await t?.close();
  });

  it('shows an alert raised by an MQTT publish of a desaturating device, and the nurse acknowledges it', async () => {
    const { page } = browser;
    const { nurse, patient, device } = await t.ctx.newTeamWithPatient();
    await signIn(page, t.url, nurse.username, nurse.password);
    const client = await mqtt.connectAsync(TEST_MQTT_URL, { clientId: device.deviceId, username: device.deviceId, password: device.secret });
    const now = Date.now();
    // Ten minutes at one sample every 10 s: normal, then a deep desaturation for the last five.
    const samples = Array.from({ length: 60 }, (_, i) => ({
      at: now - (59 - i) * 10000,
      spo2: i < 30 ? 93 : 78,
      pulseRate: i < 30 ? 80 : 118,
      signalOk: true,
    }));
    await client.publishAsync(`tm/v1/devices/${device.deviceId}/readings`, JSON.stringify({ v: 1, seq: 1, samples }), { qos: 1 });
    await client.endAsync();
    // First the pipeline (ingestion + rules), then the page: a failure says which one.
    const alertId = await eventually(async () => {
      const { rows } = await t.pool.query(`SELECT id::text FROM alerts WHERE patient_id = $1 AND rule LIKE 'spo2.%'`, [patient.id]);
      return rows[0]?.id as string | undefined;
    }, 30000);
    const row = page.locator(`tr[data-alert-id="${alertId}"]`);
    await row.filter({ hasText: /SpO₂/ }).waitFor({ timeout: 10000 });
    expect(await row.innerText()).toContain('Open');
    await page.screenshot({ path: join(ARTIFACTS, 'console-mqtt.png'), fullPage: true });

    // The nurse acknowledges it from the page; the database has her acknowledgement and its note.
    await row.getByRole('button', { name: /^Acknowledge / }).click();
    await page.getByRole('dialog').waitFor();
    await page.keyboard.type('Patient called back, oxygen checked');
    await page.getByRole('button', { name: 'Confirm' }).click();
    await eventually(async () => (await row.innerText()).includes('Acknowledged'), 10000);
    const db = await t.pool.query(`SELECT status, acknowledged_by FROM alerts WHERE id = $1`, [alertId]);
    expect(db.rows[0]).toEqual({ status: 'acknowledged', acknowledged_by: nurse.id });
    const event = await t.pool.query(`SELECT actor_id, note FROM alert_events WHERE alert_id = $1 AND kind = 'acknowledged'`, [alertId]);
    expect(event.rows).toEqual([{ actor_id: nurse.id, note: 'Patient called back, oxygen checked' }]);
  });
});
