import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { randomUUID } from 'node:crypto';
import { verifySecret } from '../../../apps/server/src/auth/password.js';
import { createEmbeddedBrokerAuth, PgDeviceCredentialLookup } from '../../../apps/server/src/broker-auth/embedded-broker-auth.js';
import { IngestService } from '../../../apps/server/src/ingest/ingest.service.js';
import { startEmbeddedBroker } from '../../../apps/server/src/infrastructure/embedded-broker.js';
import { connectPublisher, publishReadings, readingsOf, rejectionsOf } from '../ingest/ingest-support.js';
import { api, eventually, startTestApp, type TestApp, type TestUser } from '../../support/test-app.js';

jest.setTimeout(60000);

type ErrorBody = { error: { code: string; message: string } };
const MIN = 60_000;
const at = (ms: number) => new Date(ms).toISOString();
const minute = (ms: number) => Math.floor(ms / 1000) * 1000;

/**
 * Issue 17 point 4 (CONTRACT §8): PATCH /api/devices/:id reassigns a device from a given time
 * (readings through MQTT go to the patient of their sample time; the ingest device cache is
 * told at once: its TTL here is 10 minutes), deactivates it (the broker refuses it, what still
 * arrives is recorded), rotates its secret (the old one stops working). A replacement device
 * continues the patient's history.
 */
describe('devices over time: reassignment, deactivation, secret rotation', () => {
  let t: TestApp;
  let admin: TestUser;
  let pub: MqttClient;

  beforeAll(async () => {
    // One process with the REST and ingest roles: the registry's events reach ingestion's cache.
    t = await startTestApp({ roles: ['api', 'ingest'], env: { INGEST_BATCH_MAX_DELAY_MS: '10', INGEST_DEVICE_CACHE_TTL_MS: '600000' } });
    const ingest = t.app.get(IngestService);
    const expected = t.config.mqtt.sharedSubscriptions ? t.config.ingest.connections : 1;
    await eventually(async () => ingest.connectedCount === expected, 15000);
    await new Promise((r) => setTimeout(r, 300));
    admin = await t.ctx.newUser('admin');
    pub = await connectPublisher();
  });
  afterAll(async () => {
    await pub?.endAsync();
    await t?.close();
  });

  const patch = <T>(deviceId: string, body: unknown, token = admin.token) => api<T & ErrorBody>(t.url, 'PATCH', `/api/devices/${deviceId}`, token, body);
  const trendCount = async (patientId: string, token: string, from: number, to: number) => {
    const res = await api<{ count: number }[]>(t.url, 'GET', `/api/patients/${patientId}/trends?metric=spo2&from=${at(from)}&to=${at(to)}&bucket=1m`, token);
    expect(res.status).toBe(200);
    return res.body.reduce((n, b) => n + b.count, 0);
  };

  it('a reassigned device: new readings (MQTT) go to the new patient, earlier ones, also late ones, stay with the first', async () => {
    const a = await t.ctx.newTeamWithPatient();
    const b = await t.ctx.newTeamWithPatient();
    const { deviceId } = a.device;
    const now = minute(Date.now());
    await publishReadings(pub, deviceId, { v: 1, samples: [{ at: now - 10 * MIN, spo2: 91 }] });
    await eventually(async () => (await readingsOf(t, deviceId)).length === 1);
    // Cached by ingestion now (TTL 10 min): only the registry's event can make the change apply.
    const from = now - 5 * MIN;
    const moved = await patch<{ patientId: string }>(deviceId, { patientId: b.patient.id, from: at(from) });
    expect(moved.status).toBe(200);
    expect(moved.body.patientId).toBe(b.patient.id);
    // A late sample taken before `from` and a new one, in one message.
    await publishReadings(pub, deviceId, { v: 1, samples: [{ at: now - 7 * MIN, spo2: 92 }, { at: now - MIN, spo2: 95 }] });
    await eventually(async () => (await readingsOf(t, deviceId)).length === 3);
    expect((await readingsOf(t, deviceId)).map((r) => [r.ms, r.patient_id])).toEqual([
      [now - 10 * MIN, a.patient.id],
      [now - 7 * MIN, a.patient.id],
      [now - MIN, b.patient.id],
    ]);
    // Each patient's trends: its own readings of the device, the first patient's history included.
    expect(await trendCount(a.patient.id, a.physician.token, now - 60 * MIN, now)).toBe(2);
    expect(await trendCount(b.patient.id, b.physician.token, now - 60 * MIN, now)).toBe(1);
    // Not before the current assignment began.
    const early = await patch<ErrorBody>(deviceId, { patientId: a.patient.id, from: at(from - MIN) });
    expect({ status: early.status, code: early.body.error.code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
    // Readings already stored at or after a new `from`: they would have to change patient → 409, nothing changed.
    const back = await patch<ErrorBody>(deviceId, { patientId: a.patient.id, from: at(now - 2 * MIN) });
    expect(back.status).toBe(409);
    expect((await t.pool.query(`SELECT patient_id FROM devices WHERE device_id = $1`, [deviceId])).rows[0].patient_id).toBe(b.patient.id);
    const audit = await t.pool.query(`SELECT patient_id, details FROM audit_log WHERE action = 'registry.device.reassign' AND target_id = $1 ORDER BY id`, [deviceId]);
    expect(audit.rows.map((r) => r.patient_id)).toEqual([a.patient.id, b.patient.id]);
    expect(audit.rows[0].details).toEqual({ fromPatientId: a.patient.id, toPatientId: b.patient.id, from: at(from) });
  });

  it('refuses bad input with a stable code and changes nothing', async () => {
    const a = await t.ctx.newTeamWithPatient();
    const other = await t.ctx.newPatient(a.team.id);
    const before = (await t.pool.query(`SELECT patient_id, active, secret_hash, assigned_from FROM devices WHERE device_id = $1`, [a.device.deviceId])).rows[0];
    const cases: [string, unknown, number, string, string?][] = [
      ['from in the future', { patientId: other.id, from: at(Date.now() + 3_600_000) }, 400, 'VALIDATION_FAILED'],
      ['from without patientId', { from: at(Date.now()) }, 400, 'VALIDATION_FAILED'],
      ['malformed from', { patientId: other.id, from: 'yesterday' }, 400, 'VALIDATION_FAILED'],
      ['unknown patient', { patientId: randomUUID() }, 400, 'VALIDATION_FAILED'],
      ['rotateSecret false', { rotateSecret: false }, 400, 'VALIDATION_FAILED'],
      ['null active', { active: null }, 400, 'VALIDATION_FAILED'],
      ['unknown field', { active: false, kind: 'ventilator' }, 400, 'VALIDATION_FAILED'],
      ['nothing', {}, 400, 'VALIDATION_FAILED'],
      ['a nurse', { active: false }, 403, 'FORBIDDEN', a.nurse.token],
      ['a deactivation with a rotation', { active: false, rotateSecret: true }, 409, 'CONFLICT'],
    ];
    for (const [name, body, status, code, token] of cases) {
      const res = await patch(a.device.deviceId, body, token);
      expect({ name, status: res.status, code: res.body.error?.code }).toEqual({ name, status, code });
    }
    expect((await t.pool.query(`SELECT patient_id, active, secret_hash, assigned_from FROM devices WHERE device_id = $1`, [a.device.deviceId])).rows[0]).toEqual(before);
    expect((await patch(`NO-SUCH-${randomUUID().slice(0, 8)}`, { rotateSecret: true })).status).toBe(404);
  });

  it('a deactivated device: what it still publishes is recorded as a rejection, nothing stored', async () => {
    const a = await t.ctx.newTeamWithPatient();
    expect((await patch<{ active: boolean }>(a.device.deviceId, { active: false })).body.active).toBe(false);
    await publishReadings(pub, a.device.deviceId, { v: 1, samples: [{ at: minute(Date.now()) - MIN, spo2: 90 }] });
    await eventually(async () => (await rejectionsOf(t, a.device.deviceId)).some((r) => r.reason === 'inactive-device'));
    expect(await readingsOf(t, a.device.deviceId)).toEqual([]);
  });

  it('a replaced ventilator: the new one continues the patient’s history', async () => {
    const a = await t.ctx.newTeamWithPatient();
    const now = minute(Date.now());
    const old = await t.ctx.newDevice(a.patient.id, 'ventilator');
    await publishReadings(pub, old.deviceId, { v: 1, samples: [{ at: now - 20 * MIN, spo2: 90 }] });
    await eventually(async () => (await readingsOf(t, old.deviceId)).length === 1);
    expect((await patch(old.deviceId, { active: false })).status).toBe(200);
    const replacement = await api<{ deviceId: string }>(t.url, 'POST', '/api/devices', admin.token, { deviceId: `VE-${randomUUID().slice(0, 8)}`, kind: 'ventilator', patientId: a.patient.id });
    expect(replacement.status).toBe(201);
    await publishReadings(pub, replacement.body.deviceId, { v: 1, samples: [{ at: now - 2 * MIN, spo2: 93 }] });
    await eventually(async () => (await readingsOf(t, replacement.body.deviceId)).length === 1);
    expect(await trendCount(a.patient.id, a.physician.token, now - 60 * MIN, now)).toBe(2);
  });

  describe('broker side (the embedded aedes broker with its device hooks, on the same database)', () => {
    let broker: Awaited<ReturnType<typeof startEmbeddedBroker>>;
    const port = 20000 + Math.floor(Math.random() * 20000);
    const connect = (options: IClientOptions) => mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 3000, ...options }, false);

    beforeAll(async () => {
      broker = await startEmbeddedBroker({
        port,
        hooks: createEmbeddedBrokerAuth({ lookup: new PgDeviceCredentialLookup(t.pool), internal: { username: 'tm:backend', password: `x-${randomUUID()}` }, activeTtlMs: 200 }),
      });
    });
    afterAll(async () => {
      await broker?.stop();
    });

    it('a rotated secret works and the old one does not; a deactivated device is refused at CONNECT', async () => {
      const { device } = await t.ctx.newTeamWithPatient();
      const creds = (password: string) => ({ clientId: device.deviceId, username: device.deviceId, password });
      await (await connect(creds(device.secret))).endAsync();
      const rotated = await patch<{ secret: string; deviceId: string }>(device.deviceId, { rotateSecret: true });
      expect(rotated.status).toBe(200);
      expect(rotated.body.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const { rows } = await t.pool.query(`SELECT secret_hash FROM devices WHERE device_id = $1`, [device.deviceId]);
      expect(await verifySecret(rows[0].secret_hash, rotated.body.secret)).toBe(true);
      await expect(connect(creds(device.secret))).rejects.toMatchObject({ code: 4 });
      await (await connect(creds(rotated.body.secret))).endAsync();
      // Shown once: a device list never carries it.
      expect(JSON.stringify((await api(t.url, 'GET', '/api/devices', admin.token)).body)).not.toContain(rotated.body.secret);

      expect((await patch(device.deviceId, { active: false })).status).toBe(200);
      await new Promise((r) => setTimeout(r, 300)); // the hooks' active cache (200 ms here)
      await expect(connect(creds(rotated.body.secret))).rejects.toMatchObject({ code: expect.any(Number) });
    });
  });
});
