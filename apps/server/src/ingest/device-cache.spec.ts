import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../config/app-config.js';
import { DeviceRegistryEvents } from '../events/device-registry-events.js';
import { DeviceCache } from './device-cache.js';
import type { DeviceInfo, IngestDeviceRepository } from './ingest-device.repository.js';

describe('DeviceCache', () => {
  const config = loadConfig({ JWT_SECRET: 'unit-secret-0123456789abcdef0123456789', INGEST_DEVICE_CACHE_TTL_MS: '60000' });

  function setup() {
    const table = new Map<string, DeviceInfo>();
    let queries = 0;
    const repository = {
      findByIds: async (ids: readonly string[]) => {
        queries++;
        return ids.flatMap((id) => (table.has(id) ? [table.get(id)!] : []));
      },
    } as unknown as IngestDeviceRepository;
    const events = new DeviceRegistryEvents();
    const cache = new DeviceCache(repository, config, events);
    return { table, events, cache, queries: () => queries };
  }

  it('remembers an unknown device, so a flood from it costs one query', async () => {
    const { cache, queries } = setup();
    expect(await cache.load('ghost')).toBeNull();
    expect(cache.peek('ghost', Date.now())).toBeNull();
    expect(queries()).toBe(1);
  });

  it('forgets a device when its registration changes in this process', async () => {
    const { table, events, cache } = setup();
    expect(await cache.load('dev-1')).toBeNull();
    table.set('dev-1', { deviceId: 'dev-1', patientId: 'p', kind: 'oximeter', active: true });
    await events.publish({ type: 'registered', deviceId: 'dev-1', secret: 's' });
    expect(cache.peek('dev-1', Date.now())).toBeUndefined();
    expect(await cache.load('dev-1')).toEqual(table.get('dev-1'));

    table.set('dev-1', { ...table.get('dev-1')!, active: false });
    await events.publish({ type: 'deactivated', deviceId: 'dev-1' });
    expect(await cache.load('dev-1')).toMatchObject({ active: false });
    cache.onModuleDestroy();
  });
});
