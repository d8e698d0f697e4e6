import { describe, expect, it, jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { buildBadInputCases, runBadInput } from '#devices-sim';
import { eventually } from '../../support/test-app.js';
import { TEST_MQTT_URL } from '../../support/test-env.js';
import { useSimBackend } from './sim-support.js';

jest.setTimeout(60_000);

// Checked both in the rejections table and through GET /api/admin/rejections.
describe('bad-input mode: every case is recorded with the reason the simulator expects', () => {
  const sim = useSimBackend();

  it('records each rejection (device, topic, reason) and stores the good samples beside the bad ones', async () => {
    const { t } = sim;
    const [device] = (await sim.newPatient('hypercapnic', ['oximeter'])).devices;
    const unknownDeviceId = `GHOST-${randomUUID().slice(0, 12)}`;
    const now = Date.now();
    const admin = await t.ctx.newUser('admin');
    const report = await runBadInput({
      mqttUrl: TEST_MQTT_URL,
      deviceId: device.deviceId,
      secret: device.secret,
      now,
      unknownDeviceId,
      verify: { apiUrl: t.url, token: admin.token, timeoutMs: 20_000 },
    });
    expect(report.cases.every((c) => c.acknowledged)).toBe(true);
    const cases = buildBadInputCases({ deviceId: device.deviceId, now, unknownDeviceId });
    const topics = [...new Set(cases.map((c) => c.topic))];

    const expected = cases.map((c) => `${c.topic} ${c.expected.reason}`).sort();
    await eventually(async () => {
      const { rows } = await t.pool.query(`SELECT topic, reason FROM rejections WHERE topic = ANY($1) AND received_at >= to_timestamp($2 / 1000.0)`, [topics, now - 5000]);
      const got = rows.map((r) => `${r.topic} ${r.reason}`);
      return expected.every((e) => got.filter((g) => g === e).length >= expected.filter((x) => x === e).length);
    }, 20_000);
    const { rows } = await t.pool.query(`SELECT count(DISTINCT time)::int AS n FROM readings WHERE device_id = $1`, [device.deviceId]);
    expect(rows[0].n).toBe(cases.reduce((n, c) => n + c.expected.storedSamples, 0));
    if (report.verified) expect(report.verified).toEqual({ ok: true, missing: [] });
    // nothing a device sends may stall ingestion: a normal message still goes through
    const after = await t.pool.query(`SELECT reason FROM rejections WHERE device_id = $1 AND reason = 'unknown-device'`, [device.deviceId]);
    expect(after.rows).toEqual([]);
  });
});
