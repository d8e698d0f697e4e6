import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../../support/test-app.js';

// The requests EMQX 5 sends with deploy/emqx/emqx.conf: a POST of the configured body template,
// every placeholder rendered into a JSON string, `Content-Type: application/json` and the
// configured `Authorization` header. Answer: 200 with {"result": "allow" | "deny"}.
// https://docs.emqx.com/en/emqx/latest/access-control/authn/http.html
// https://docs.emqx.com/en/emqx/latest/access-control/authz/http.html

const SECRET = `hook-${randomUUID()}-${randomUUID()}`;
const BACKEND = { username: 'tm-backend-emqx', password: `pw-${randomUUID()}` };
const AUTHN = '/api/broker/emqx/authn';
const AUTHZ = '/api/broker/emqx/authz';

async function post(base: string, path: string, body: string, headers: Record<string, string> = { authorization: `Bearer ${SECRET}` }) {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

/** ${clientid}, ${username}, ${password}, ${peerhost} as EMQX renders them. */
const authn = (clientid: string, username: string, password: string) =>
  JSON.stringify({ clientid, username, password, peerhost: '172.18.0.9' });
/** ${clientid}, ${username}, ${action}, ${topic}, ${qos}, ${retain} as EMQX renders them. */
const authz = (clientid: string, username: string, action: string, topic: string, qos = '1', retain = 'false') =>
  JSON.stringify({ clientid, username, action, topic, qos, retain });

describe('EMQX HTTP authentication and authorization hooks', () => {
  let t: TestApp;
  let device: { deviceId: string; secret: string };
  let other: { deviceId: string; secret: string };
  let deactivated: { deviceId: string; secret: string };
  beforeAll(async () => {
    t = await startTestApp({
      roles: ['api'],
      env: { EMQX_HOOK_SECRET: SECRET, MQTT_USERNAME: BACKEND.username, MQTT_PASSWORD: BACKEND.password },
    });
    const team = await t.ctx.newCareTeam();
    const patient = await t.ctx.newPatient(team.id);
    device = await t.ctx.newDevice(patient.id);
    other = await t.ctx.newDevice(patient.id, 'ventilator');
    deactivated = await t.ctx.newDevice(patient.id);
    await t.pool.query(`UPDATE devices SET active = false WHERE device_id = $1`, [deactivated.deviceId]);
  });
  afterAll(async () => {
    await t.close();
  });

  describe('authentication', () => {
    it('allows a registered active device with its secret, never as superuser', async () => {
      expect(await post(t.url, AUTHN, authn(device.deviceId, device.deviceId, device.secret))).toEqual({
        status: 200,
        body: { result: 'allow', is_superuser: false },
      });
    });

    it.each([
      ['a wrong secret', () => authn(device.deviceId, device.deviceId, other.secret)],
      ['a deactivated device', () => authn(deactivated.deviceId, deactivated.deviceId, deactivated.secret)],
      ['an unknown device', () => authn('OX-does-not-exist', 'OX-does-not-exist', device.secret)],
      ['a client id other than the device id', () => authn(`x-${device.deviceId}`, device.deviceId, device.secret)],
      ['another device\'s secret', () => authn(other.deviceId, other.deviceId, device.secret)],
      ['no username (EMQX renders it empty)', () => authn(device.deviceId, '', device.secret)],
      ['the backend with a wrong password', () => authn('tm-ingest-x-0', BACKEND.username, 'nope')],
    ])('denies %s', async (_name, body) => {
      expect(await post(t.url, AUTHN, body())).toEqual({ status: 200, body: { result: 'deny' } });
    });

    it("allows the backend's own login (MQTT_USERNAME / MQTT_PASSWORD)", async () => {
      expect(await post(t.url, AUTHN, authn('tm-ingest-app-0', BACKEND.username, BACKEND.password))).toEqual({
        status: 200,
        body: { result: 'allow', is_superuser: false },
      });
    });
  });

  describe('authorization', () => {
    it.each([
      ['a device publishes its readings', () => authz(device.deviceId, device.deviceId, 'publish', `tm/v1/devices/${device.deviceId}/readings`), 'allow'],
      ['a device publishes its status (retained Last Will)', () => authz(device.deviceId, device.deviceId, 'publish', `tm/v1/devices/${device.deviceId}/status`, '1', 'true'), 'allow'],
      ["a device publishes to another device's topic", () => authz(device.deviceId, device.deviceId, 'publish', `tm/v1/devices/${other.deviceId}/readings`), 'deny'],
      ['a device subscribes to every device', () => authz(device.deviceId, device.deviceId, 'subscribe', 'tm/v1/devices/#'), 'deny'],
      ['a device subscribes to its own topic', () => authz(device.deviceId, device.deviceId, 'subscribe', `tm/v1/devices/${device.deviceId}/readings`), 'deny'],
      ['a deactivated device publishes its own readings', () => authz(deactivated.deviceId, deactivated.deviceId, 'publish', `tm/v1/devices/${deactivated.deviceId}/readings`), 'deny'],
      ['the backend subscribes to its readings share', () => authz('tm-ingest-app-0', BACKEND.username, 'subscribe', '$share/ingest/tm/v1/devices/+/readings'), 'allow'],
      ['the backend subscribes to its status share', () => authz('tm-ingest-app-1', BACKEND.username, 'subscribe', '$share/ingest/tm/v1/devices/+/status', '1'), 'allow'],
      ['the backend subscribes to the plain filter', () => authz('tm-ingest-app-0', BACKEND.username, 'subscribe', 'tm/v1/devices/+/readings'), 'allow'],
      ['the backend subscribes to #', () => authz('tm-ingest-app-0', BACKEND.username, 'subscribe', '#'), 'deny'],
      ['the backend publishes as a device', () => authz('tm-ingest-app-0', BACKEND.username, 'publish', `tm/v1/devices/${device.deviceId}/readings`), 'deny'],
      ['an unknown username subscribes', () => authz('someone', 'someone', 'subscribe', 'tm/v1/devices/+/readings'), 'deny'],
    ])('%s → %s', async (_name, body, result) => {
      expect(await post(t.url, AUTHZ, body())).toEqual({ status: 200, body: { result } });
    });
  });

  describe('malformed requests are denied with 200, never an error', () => {
    const good = () => JSON.parse(authn(device.deviceId, device.deviceId, device.secret)) as Record<string, unknown>;
    // Every row has its headers: Jest takes a test function with more parameters than the row for one wanting `done`.
    it.each<[string, string, () => string, Record<string, string>]>([
      ['not JSON', AUTHN, () => '{"clientid": "OX', {}],
      ['an array', AUTHN, () => JSON.stringify([good()]), {}],
      ['a JSON string', AUTHZ, () => JSON.stringify('allow'), {}],
      ['an empty body', AUTHN, () => '', {}],
      ['missing clientid', AUTHN, () => JSON.stringify({ ...good(), clientid: undefined }), {}],
      ['a number password', AUTHN, () => JSON.stringify({ ...good(), password: 12345678 }), {}],
      ['an object password', AUTHN, () => JSON.stringify({ ...good(), password: { $gt: '' } }), {}],
      ['a 10 KB username', AUTHN, () => JSON.stringify({ ...good(), username: 'u'.repeat(10_240) }), {}],
      ['a control character in the client id', AUTHN, () => JSON.stringify({ ...good(), clientid: `${device.deviceId}\u0000` }), {}],
      ['a 2 MB body', AUTHN, () => JSON.stringify({ ...good(), pad: 'p'.repeat(2 * 1024 * 1024) }), {}],
      ['an unknown action', AUTHZ, () => authz(device.deviceId, device.deviceId, 'all', `tm/v1/devices/${device.deviceId}/readings`), {}],
      ['a qos of 7', AUTHZ, () => authz(device.deviceId, device.deviceId, 'publish', `tm/v1/devices/${device.deviceId}/readings`, '7'), {}],
      ['a text/plain body', AUTHN, () => authn(device.deviceId, device.deviceId, device.secret), { 'content-type': 'text/plain' }],
    ])('%s', async (_name, path, body, headers) => {
      const res = await post(t.url, path, body(), { authorization: `Bearer ${SECRET}`, ...headers });
      expect(res).toEqual({ status: 200, body: { result: 'deny' } });
    });
  });

  describe('their own credential', () => {
    it.each([
      ['no Authorization header', {}],
      ['a wrong secret', { authorization: `Bearer ${SECRET}x` }],
      ['the secret without Bearer', { authorization: SECRET }],
      ['a user access token', { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.x' }],
    ])('%s → 401, on both routes', async (_name, headers) => {
      const body = authn(device.deviceId, device.deviceId, device.secret);
      expect((await post(t.url, AUTHN, body, headers)).status).toBe(401);
      expect((await post(t.url, AUTHZ, authz(device.deviceId, device.deviceId, 'publish', `tm/v1/devices/${device.deviceId}/readings`), headers)).status).toBe(401);
    });

    it('the routes do not exist without EMQX_HOOK_SECRET (404)', async () => {
      const plain = await startTestApp({ roles: ['api'] });
      try {
        const body = authn(device.deviceId, device.deviceId, device.secret);
        expect((await post(plain.url, AUTHN, body)).status).toBe(404);
        expect((await post(plain.url, AUTHZ, body)).status).toBe(404);
      } finally {
        await plain.close();
      }
    });
  });
});
