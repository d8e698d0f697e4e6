import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configVariableNames, loadConfig } from './app-config.js';

// Keeps docker-compose.yml in step with the configuration: every variable the app service sets
// must be one the configuration reads, and the configuration must accept the values it sets.
// A line-based reading of the file (no YAML dependency): services at 2 spaces, keys at 4, entries at 6.

const COMPOSE = readFileSync(fileURLToPath(new URL('../../../../docker-compose.yml', import.meta.url)), 'utf8');

/** `environment:` entries of one service, as written (interpolations unresolved). */
function serviceEnvironment(compose: string, service: string): Record<string, string> {
  const lines = compose.split('\n');
  const env: Record<string, string> = {};
  let inServices = false;
  let inService = false;
  let inEnv = false;
  for (const line of lines) {
    if (/^\S/.test(line)) inServices = line.startsWith('services:');
    if (!inServices || line.trim() === '' || line.trim().startsWith('#')) continue;
    const indent = line.length - line.trimStart().length;
    if (indent === 2) {
      inService = line.trim() === `${service}:`;
      inEnv = false;
    } else if (inService && indent === 4) {
      inEnv = line.trim() === 'environment:';
    } else if (inService && inEnv && indent === 6) {
      const m = /^\s*(?:-\s*)?([A-Z][A-Z0-9_]*)\s*[:=]\s*(.*)$/.exec(line);
      if (!m) throw new Error(`cannot read environment line: ${line}`);
      env[m[1]!] = m[2]!.trim().replace(/^"(.*)"$/, '$1');
    }
  }
  return env;
}

/** Values an operator would put in .env for the required variables. */
const SAMPLE_DOTENV: Record<string, string> = {
  POSTGRES_PASSWORD: 'pg-secret-1234',
  POSTGRES_APP_PASSWORD: 'pg-app-secret-1234',
  MQTT_USERNAME: 'telemonitoring-backend',
  MQTT_PASSWORD: 'mqtt-secret-1234',
  MQTT_ADMIN_USERNAME: 'telemonitoring-provisioner',
  MQTT_ADMIN_PASSWORD: 'mqtt-admin-secret-1234',
  JWT_SECRET: 'Zq7-vR2pX9kLm4Tn8Wb1Yc6Hd3Js5Fg0aE2uQ8oI4yS6rD1',
  BOOTSTRAP_ADMIN_USERNAME: 'admin',
  BOOTSTRAP_ADMIN_PASSWORD: 'a-long-admin-password',
};

/** Compose interpolation: ${VAR}, ${VAR:-default}, ${VAR:?message} against a .env. */
function interpolate(value: string, dotenv: Record<string, string>): string {
  return value.replace(/\$\{([A-Z0-9_]+)(?::([-?])([^}]*))?\}/g, (_all, name: string, op?: string, arg?: string) => {
    const set = dotenv[name];
    if (set !== undefined && set !== '') return set;
    if (op === '-') return arg ?? '';
    if (op === '?') throw new Error(`${name} is required: ${arg}`);
    return '';
  });
}

describe('docker-compose.yml app environment', () => {
  const app = serviceEnvironment(COMPOSE, 'app');

  it('sets the variables production needs', () => {
    expect(Object.keys(app)).toEqual(
      expect.arrayContaining([
        'DATABASE_URL',
        'MQTT_URL',
        'MQTT_USERNAME',
        'MQTT_PASSWORD',
        'MQTT_ADMIN_USERNAME',
        'MQTT_ADMIN_PASSWORD',
        'REDIS_URL',
        'JWT_SECRET',
        'BOOTSTRAP_ADMIN_USERNAME',
        'BOOTSTRAP_ADMIN_PASSWORD',
        'PORT',
      ]),
    );
  });

  it('sets only variables the configuration reads', () => {
    const known = new Set(configVariableNames());
    expect(known.has('DATABASE_URL')).toBe(true); // the list itself is real
    expect(Object.keys(app).filter((k) => !known.has(k))).toEqual([]);
  });

  it('gives values that loadConfig accepts, as a production (non-demo) configuration', () => {
    const env = Object.fromEntries(Object.entries(app).map(([k, v]) => [k, interpolate(v, SAMPLE_DOTENV)]));
    const config = loadConfig(env);
    expect(config.demo).toBe(false);
    expect(config.database.url).toBe('postgres://telemonitoring_runtime:pg-app-secret-1234@db:5432/telemonitoring');
    expect(config.database.migrateOnStart).toBe(false);
    expect(config.mqtt).toMatchObject({ url: 'mqtt://mqtt:1883', username: 'telemonitoring-backend', password: 'mqtt-secret-1234' });
    expect(config.redisUrl).toBe('redis://redis:6379');
    expect(config.http.port).toBe(3000);
    expect(config.bootstrapAdmin).toEqual({ username: 'admin', password: 'a-long-admin-password' });
    // Without the optional bootstrap admin, the values are still accepted.
    const { BOOTSTRAP_ADMIN_USERNAME: _u, BOOTSTRAP_ADMIN_PASSWORD: _p, ...rest } = SAMPLE_DOTENV;
    const minimal = Object.fromEntries(Object.entries(app).map(([k, v]) => [k, interpolate(v, rest)]));
    expect(loadConfig(minimal).bootstrapAdmin).toBeUndefined();
  });

  it('gives the broker the same provisioning credentials as the app', () => {
    const mqtt = serviceEnvironment(COMPOSE, 'mqtt');
    expect(mqtt.MQTT_ADMIN_USERNAME).toBe(app.MQTT_ADMIN_USERNAME);
    expect(mqtt.MQTT_ADMIN_PASSWORD).toBe(app.MQTT_ADMIN_PASSWORD);
    const env = Object.fromEntries(Object.entries(app).map(([k, v]) => [k, interpolate(v, SAMPLE_DOTENV)]));
    expect(loadConfig(env).mqttAdmin).toEqual({ username: 'telemonitoring-provisioner', password: 'mqtt-admin-secret-1234' });
  });

  it('runs the app as the runtime login and migrations as the owner: the app never holds the owner password', () => {
    const migrate = serviceEnvironment(COMPOSE, 'migrate');
    const db = serviceEnvironment(COMPOSE, 'db');
    const resolved = (env: Record<string, string>) => Object.fromEntries(Object.entries(env).map(([k, v]) => [k, interpolate(v, SAMPLE_DOTENV)]));
    const owner = new URL(loadConfig(resolved(migrate)).database.url!);
    expect([owner.username, owner.password]).toEqual([db.POSTGRES_USER, 'pg-secret-1234']);
    const runtime = new URL(loadConfig(resolved(app)).database.url!);
    expect([runtime.username, runtime.password]).toEqual(['telemonitoring_runtime', 'pg-app-secret-1234']);
    expect(Object.values(app).join('\n')).not.toContain('POSTGRES_PASSWORD');
    expect(db.POSTGRES_APP_PASSWORD).toBe(app.DATABASE_URL!.match(/\$\{POSTGRES_APP_PASSWORD[^}]*\}/)![0]);
    expect(COMPOSE).toMatch(/\.\/deploy\/postgres\/10-app-login\.sh:\/docker-entrypoint-initdb\.d\/10-app-login\.sh:ro/);
    // The login the init script creates is the one the app connects as.
    const script = readFileSync(fileURLToPath(new URL('../../../../deploy/postgres/10-app-login.sh', import.meta.url)), 'utf8');
    expect(script).toContain(`GRANT telemonitoring_app TO ${runtime.username};`);
    expect(Object.keys(migrate).filter((k) => !new Set(configVariableNames()).has(k))).toEqual([]);
  });

  it('reads the environment block of the right service only', () => {
    expect(serviceEnvironment('services:\n  a:\n    environment:\n      X: "1"\n  b:\n    environment:\n      Y: 2\n', 'b')).toEqual({ Y: '2' });
  });
});
