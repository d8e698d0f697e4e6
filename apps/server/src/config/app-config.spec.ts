import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig, lowEntropy } from './app-config.js';

const prod = {
  DATABASE_URL: 'postgres://u@localhost/db',
  MQTT_URL: 'mqtt://localhost:1883',
  JWT_SECRET: 'Zq7-vR2pX9kLm4Tn8Wb1Yc6Hd3Js5Fg0',
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
    [{ DATABASE_URL: prod.DATABASE_URL }, 'JWT_SECRET'],
    [{ ...prod, JWT_SECRET: undefined }, 'JWT_SECRET'],
    // Issue 21: long enough, but predictable.
    [{ ...prod, JWT_SECRET: 'x'.repeat(32) }, 'JWT_SECRET'],
    [{ ...prod, JWT_SECRET: 'ab'.repeat(24) }, 'JWT_SECRET'],
    [{ ...prod, JWT_SECRET: 'secretsecretsecretsecretsecretsecret' }, 'JWT_SECRET'],
    [{ ...prod, TRUST_PROXY: 'any;thing' }, 'TRUST_PROXY'],
    [{ ...prod, BOOTSTRAP_ADMIN_USERNAME: 'root' }, 'BOOTSTRAP_ADMIN_PASSWORD'],
    [{ ...prod, INGEST_CONNECTIONS: '0' }, 'INGEST_CONNECTIONS'],
  ])('refuses %j naming %s', (env, variable) => {
    expect(() => loadConfig(env as NodeJS.ProcessEnv)).toThrow(ConfigError);
    expect(() => loadConfig(env as NodeJS.ProcessEnv)).toThrow(variable);
  });

  it.each([
    ['MIGRATE_ON_START', 'yes'],
    ['DEMO', 'on'],
    ['MQTT_SHARED_SUBSCRIPTIONS', 'maybe'],
    ['DEMO_SIMULATOR', '2'],
    ['EMBEDDED_FRESH', 'ture'],
  ])('refuses the boolean %s=%s, naming it', (variable, value) => {
    const load = () => loadConfig({ ...prod, [variable]: value });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(`${variable} must be true, false, 1 or 0`);
  });

  it.each([
    ['true', true],
    ['TRUE', true],
    ['True', true],
    ['1', true],
    ['false', false],
    ['False', false],
    ['FALSE', false],
    ['0', false],
  ])('reads the boolean %s as %s', (value, expected) => {
    const c = loadConfig({ ...prod, MIGRATE_ON_START: value, DEMO: value, MQTT_SHARED_SUBSCRIPTIONS: value, EMBEDDED_FRESH: value });
    expect([c.database.migrateOnStart, c.demo, c.mqtt.sharedSubscriptions, c.embedded.fresh]).toEqual([expected, expected, expected, expected]);
  });

  it.each([',', ' ', ' , ,'])('refuses ROLES=%j (no role at all)', (value) => {
    const load = () => loadConfig({ ...prod, ROLES: value });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow('ROLES must name at least one role');
  });

  it.each(['a/b+', 'a/b', 'grp+', 'grp#', '#', 'two words'])('refuses INGEST_SHARE_GROUP=%j (MQTT separator or wildcard)', (value) => {
    const load = () => loadConfig({ ...prod, INGEST_SHARE_GROUP: value });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow('INGEST_SHARE_GROUP');
  });

  it.each(['ingest', 'scale-run_1', 'brk.2'])('accepts INGEST_SHARE_GROUP=%j', (value) => {
    expect(loadConfig({ ...prod, INGEST_SHARE_GROUP: value }).ingest.shareGroup).toBe(value);
  });

  // CONTRACT.md §5: each unset URL falls back to its embedded service, independently.
  it.each([
    ['neither', {}, { demo: true, database: undefined, mqtt: undefined }],
    ['MQTT_URL only', { MQTT_URL: prod.MQTT_URL }, { demo: false, database: undefined, mqtt: prod.MQTT_URL }],
    ['DATABASE_URL only', { DATABASE_URL: prod.DATABASE_URL, JWT_SECRET: prod.JWT_SECRET }, { demo: false, database: prod.DATABASE_URL, mqtt: undefined }],
    ['both', prod, { demo: false, database: prod.DATABASE_URL, mqtt: prod.MQTT_URL }],
    ['MQTT_URL only, DEMO=true', { MQTT_URL: prod.MQTT_URL, DEMO: 'true' }, { demo: true, database: undefined, mqtt: prod.MQTT_URL }],
    ['neither, DEMO=false', { DEMO: 'false' }, { demo: false, database: undefined, mqtt: undefined }],
  ])('with %s set: embedded services for what is unset', (_label, env, expected) => {
    const c = loadConfig(env as NodeJS.ProcessEnv);
    expect({ demo: c.demo, database: c.database.url, mqtt: c.mqtt.url }).toEqual(expected);
  });

  it('needs no JWT_SECRET with the embedded PostgreSQL (a secret is kept in its data directory)', () => {
    expect(loadConfig({ MQTT_URL: prod.MQTT_URL }).auth.jwtSecret).toBeUndefined();
  });

  it('parses role lists and numbers', () => {
    const c = loadConfig({ ...prod, ROLES: 'ingest', PORT: '8080', INGEST_CONNECTIONS: '2' });
    expect(c.roles).toEqual(['ingest']);
    expect(c.http.port).toBe(8080);
    expect(c.ingest.connections).toBe(2);
  });
  // LOG_FORMAT wins; else production logs are JSON for a collector, a terminal or the demo gets
  // pino-pretty's lines, and anything else (a pipe, a service manager) JSON.
  it.each([
    ['json', 'production, on a terminal', { ...prod, NODE_ENV: 'production' }, true],
    ['json', 'the demo, on a terminal, in production', { NODE_ENV: 'production' }, true],
    ['pretty', 'real services, on a terminal', prod, true],
    ['json', 'real services, piped', prod, false],
    ['pretty', 'the demo, piped', {}, false],
    ['pretty', 'DEMO=true with real services, piped', { ...prod, DEMO: 'true' }, false],
    ['pretty', 'LOG_FORMAT=pretty in production', { ...prod, NODE_ENV: 'production', LOG_FORMAT: 'pretty' }, false],
    ['json', 'LOG_FORMAT=json in the demo, on a terminal', { LOG_FORMAT: 'json' }, true],
  ])('logs %s for %s', (expected, _case, env: Record<string, string>, tty) => {
    expect(loadConfig(env, tty).logFormat).toBe(expected);
  });

  it('reads the review cadence (REVIEW_CADENCE_DAYS, default 7 days) and refuses one out of 1–92 days', () => {
    expect(loadConfig(prod).reviewCadenceDays).toBe(7);
    expect(loadConfig({ ...prod, REVIEW_CADENCE_DAYS: '14' }).reviewCadenceDays).toBe(14);
    for (const bad of ['0', '93', 'weekly', '3.5']) expect(() => loadConfig({ ...prod, REVIEW_CADENCE_DAYS: bad })).toThrow(/REVIEW_CADENCE_DAYS/);
  });

  it('refuses an unknown LOG_FORMAT, naming it', () => {
    expect(() => loadConfig({ ...prod, LOG_FORMAT: 'yaml' })).toThrow(/LOG_FORMAT must be json or pretty/);
  });

  it('trusts no proxy unless TRUST_PROXY names them (issue 21)', () => {
    expect(loadConfig(prod).trustProxy).toBe(false);
    expect(loadConfig({ ...prod, TRUST_PROXY: 'loopback' }).trustProxy).toEqual(['loopback']);
    expect(loadConfig({ ...prod, TRUST_PROXY: '10.0.0.0/8, 192.0.2.1' }).trustProxy).toEqual(['10.0.0.0/8', '192.0.2.1']);
    expect(loadConfig({ ...prod, TRUST_PROXY: '2' }).trustProxy).toBe(2);
  });

  it('accepts random secrets of 32 characters (hex or base64)', () => {
    expect(lowEntropy('9f86d081884c7d659a2feaa0c55ad015')).toBe(false);
    expect(lowEntropy('n2Vx8Zp0qR4tK7wL1yB5mC9dF3gH6jS_')).toBe(false);
  });

  describe('ingest shards (INGEST_SHARDS / INGEST_SHARD)', () => {
    it('are off by default', () => {
      expect(loadConfig(prod).ingest.shard).toBeUndefined();
    });

    it('read the shard, and imply one plain subscription', () => {
      const c = loadConfig({ ...prod, INGEST_SHARDS: '3', INGEST_SHARD: '2' });
      expect(c.ingest.shard).toEqual({ index: 2, count: 3 });
      expect(c.mqtt.sharedSubscriptions).toBe(false);
      expect(loadConfig({ ...prod, INGEST_SHARDS: '2', INGEST_SHARD: '0', MQTT_SHARED_SUBSCRIPTIONS: 'false' }).ingest.shard).toEqual({ index: 0, count: 2 });
    });

    it.each([
      [{ INGEST_SHARDS: '2' }, 'INGEST_SHARDS and INGEST_SHARD: set both or neither'],
      [{ INGEST_SHARD: '0' }, 'INGEST_SHARDS and INGEST_SHARD: set both or neither'],
      [{ INGEST_SHARDS: '2', INGEST_SHARD: '2' }, 'INGEST_SHARD: must be below INGEST_SHARDS (0 to 1), got 2'],
      [{ INGEST_SHARDS: '0', INGEST_SHARD: '0' }, 'INGEST_SHARDS'],
      [{ INGEST_SHARDS: '2', INGEST_SHARD: '-1' }, 'INGEST_SHARD'],
      [{ INGEST_SHARDS: 'two', INGEST_SHARD: '0' }, 'INGEST_SHARDS'],
      [{ INGEST_SHARDS: '2', INGEST_SHARD: '1', MQTT_SHARED_SUBSCRIPTIONS: 'true' }, 'MQTT_SHARED_SUBSCRIPTIONS: must be false (or unset) with INGEST_SHARDS'],
    ])('refuse %j, naming the variables', (env, message) => {
      const load = () => loadConfig({ ...prod, ...env });
      expect(load).toThrow(ConfigError);
      expect(load).toThrow(message);
    });
  });
});
