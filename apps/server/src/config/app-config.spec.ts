import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './app-config.js';

const prod = {
  DATABASE_URL: 'postgres://u@localhost/db',
  MQTT_URL: 'mqtt://localhost:1883',
  JWT_SECRET: 'x'.repeat(32),
};

describe('loadConfig', () => {
  it('is the embedded demo when neither DATABASE_URL nor MQTT_URL is set', () => {
    const c = loadConfig({});
    expect(c.demo).toBe(true);
    expect(c.database.url).toBeUndefined();
    expect(c.http.port).toBe(3000);
    expect(c.roles).toEqual(['api', 'ingest', 'scheduler']);
  });

  it('is not the demo with real services unless DEMO=true', () => {
    expect(loadConfig(prod).demo).toBe(false);
    expect(loadConfig({ ...prod, DEMO: 'true' }).demo).toBe(true);
  });

  it.each([
    [{ ...prod, PORT: 'abc' }, 'PORT'],
    [{ ...prod, DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ ...prod, ROLES: 'api,cooking' }, 'ROLES'],
    [{ ...prod, JWT_SECRET: 'short' }, 'JWT_SECRET'],
    [{ DATABASE_URL: prod.DATABASE_URL }, 'MQTT_URL'],
    [{ ...prod, JWT_SECRET: undefined }, 'JWT_SECRET'],
    [{ ...prod, BOOTSTRAP_ADMIN_USERNAME: 'root' }, 'BOOTSTRAP_ADMIN_PASSWORD'],
    [{ ...prod, INGEST_CONNECTIONS: '0' }, 'INGEST_CONNECTIONS'],
  ])('refuses %j naming %s', (env, variable) => {
    expect(() => loadConfig(env as NodeJS.ProcessEnv)).toThrow(ConfigError);
    expect(() => loadConfig(env as NodeJS.ProcessEnv)).toThrow(variable);
  });

  it('parses role lists and numbers', () => {
    const c = loadConfig({ ...prod, ROLES: 'ingest', PORT: '8080', INGEST_CONNECTIONS: '2' });
    expect(c.roles).toEqual(['ingest']);
    expect(c.http.port).toBe(8080);
    expect(c.ingest.connections).toBe(2);
  });
});
