import { describe, expect, it } from '@jest/globals';
import { hostname } from 'node:os';
import { loadConfig } from './app-config.js';
import { ingestClientId, sanitizeInstanceId } from './ingest-client-id.js';

const prod = { DATABASE_URL: 'postgres://u@localhost/db', MQTT_URL: 'mqtt://localhost:1883', JWT_SECRET: 'q7Vb2kLm9Xw4Rt8Zp1Nc6Hs3Jd5Fg0Ya' };

describe('ingest client ids', () => {
  it.each([
    ['the default: tm-ingest, the host name', {}, `tm-ingest-${sanitizeInstanceId(hostname())}-2`],
    ['an instance id', { INGEST_INSTANCE_ID: 'ingest-a' }, 'tm-ingest-ingest-a-2'],
    ['a prefix and an instance id', { INGEST_CLIENT_ID_PREFIX: 'site1', INGEST_INSTANCE_ID: 'b' }, 'site1-b-2'],
    ['an explicit prefix alone: as before', { INGEST_CLIENT_ID_PREFIX: 'tm-test-1234' }, 'tm-test-1234-2'],
  ])('%s', (_name, env, expected) => {
    expect(ingestClientId(loadConfig({ ...prod, ...env }), 2)).toBe(expected);
  });

  it('is the shard\'s own in shards mode, whatever the host: the session follows the shard', () => {
    const shard = { ...prod, INGEST_SHARDS: '4', INGEST_SHARD: '3' };
    expect(ingestClientId(loadConfig(shard), 0)).toBe('tm-ingest-shard-3');
    expect(ingestClientId(loadConfig({ ...shard, INGEST_INSTANCE_ID: 'host-b', INGEST_CLIENT_ID_PREFIX: 'site1' }), 0)).toBe('site1-shard-3');
  });

  it('is no longer the well-known tm-ingest-<i> by default', () => {
    expect(ingestClientId(loadConfig(prod), 0)).not.toBe('tm-ingest-0');
  });

  it.each([
    ['ingest-7f9c', 'ingest-7f9c'],
    ['web1.example.org', 'web1.example.org'],
    ['my host/with+odd#chars', 'my-host-with-odd-chars'],
    ['--.x.--', 'x'],
    ['', 'host'],
    ['a'.repeat(100), 'a'.repeat(64)],
  ])('sanitizes the host name %j to %j', (name, expected) => {
    expect(sanitizeInstanceId(name)).toBe(expected);
  });

  it('refuses an INGEST_INSTANCE_ID that is not a client id part', () => {
    expect(() => loadConfig({ ...prod, INGEST_INSTANCE_ID: 'a/b' })).toThrow(/INGEST_INSTANCE_ID/);
  });
});
