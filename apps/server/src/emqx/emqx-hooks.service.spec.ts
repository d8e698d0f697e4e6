import { describe, expect, it } from '@jest/globals';
import { hashSecret } from '../auth/password.js';
import type { DeviceCredentials } from '../broker-auth/embedded-broker-auth.js';
import { loadConfig } from '../config/app-config.js';
import { EmqxHooksService, sameSecret } from './emqx-hooks.service.js';

const config = loadConfig({ MQTT_USERNAME: 'backend', MQTT_PASSWORD: 'backend-password', EMQX_HOOK_SECRET: 'h'.repeat(32) }, false);

async function service(devices: Record<string, DeviceCredentials>) {
  return new EmqxHooksService(config, { find: async (id) => devices[id] });
}

describe('EmqxHooksService', () => {
  it('authenticates an active device by its secret, refuses a wrong one, an inactive or unknown device, a client id not its own', async () => {
    const hash = await hashSecret('right');
    const s = await service({ 'OX-1': { secretHash: hash, active: true }, 'OX-2': { secretHash: hash, active: false } });
    expect(await s.authenticate({ clientid: 'OX-1', username: 'OX-1', password: 'right' })).toEqual({ result: 'allow', is_superuser: false });
    expect((await s.authenticate({ clientid: 'OX-1', username: 'OX-1', password: 'wrong' })).result).toBe('deny');
    expect((await s.authenticate({ clientid: 'OX-2', username: 'OX-2', password: 'right' })).result).toBe('deny');
    expect((await s.authenticate({ clientid: 'OX-3', username: 'OX-3', password: 'right' })).result).toBe('deny');
    expect((await s.authenticate({ clientid: 'other', username: 'OX-1', password: 'right' })).result).toBe('deny');
  });

  it('authenticates the backend with MQTT_PASSWORD only', async () => {
    const s = await service({});
    expect((await s.authenticate({ clientid: 'tm-ingest-a-0', username: 'backend', password: 'backend-password' })).result).toBe('allow');
    expect((await s.authenticate({ clientid: 'tm-ingest-a-0', username: 'backend', password: 'backend-passwor' })).result).toBe('deny');
  });

  it('authorizes a device on its own topics only, the backend on the device filters only', async () => {
    const s = await service({ 'OX-1': { secretHash: 'x', active: true }, 'OX-2': { secretHash: 'x', active: false } });
    const pub = (username: string, topic: string, action: 'publish' | 'subscribe' = 'publish') =>
      s.authorize({ clientid: username, username, action, topic, qos: 1, retain: false }).then((a) => a.result);
    expect(await pub('OX-1', 'tm/v1/devices/OX-1/readings')).toBe('allow');
    expect(await pub('OX-1', 'tm/v1/devices/OX-1/status')).toBe('allow');
    expect(await pub('OX-1', 'tm/v1/devices/OX-9/readings')).toBe('deny');
    expect(await pub('OX-1', 'tm/v1/devices/#', 'subscribe')).toBe('deny');
    expect(await pub('OX-2', 'tm/v1/devices/OX-2/readings')).toBe('deny'); // deactivated since it connected
    expect(await pub('backend', '$share/ingest/tm/v1/devices/+/readings', 'subscribe')).toBe('allow');
    expect(await pub('backend', 'tm/v1/devices/+/status', 'subscribe')).toBe('allow');
    expect(await pub('backend', 'tm/v1/devices/#', 'subscribe')).toBe('deny');
    expect(await pub('backend', 'tm/v1/devices/OX-1/readings')).toBe('deny');
  });

  it('compares secrets of any length', () => {
    expect(sameSecret('a', 'a')).toBe(true);
    expect(sameSecret('a', 'ab')).toBe(false);
  });
});
