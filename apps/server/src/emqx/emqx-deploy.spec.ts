import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configVariableNames, loadConfig } from '../config/app-config.js';

// Keeps the `emqx` profile of docker-compose.yml and deploy/emqx/emqx.conf in step with the
// hook routes and the configuration (EMQX itself cannot run here: docs/scaling.md, stage 4).
const read = (rel: string) => readFileSync(fileURLToPath(new URL(`../../../../${rel}`, import.meta.url)), 'utf8');
const COMPOSE = read('docker-compose.yml');
const CONF = read('deploy/emqx/emqx.conf');

/** The lines of one service (services at 2 spaces). */
function service(name: string): string {
  const start = COMPOSE.indexOf(`\n  ${name}:`);
  if (start < 0) throw new Error(`no service ${name}`);
  const rest = COMPOSE.slice(start + 1);
  const end = rest.slice(1).search(/\n {2}\S|\n\S/);
  return end < 0 ? rest : rest.slice(0, end + 1);
}

function environment(name: string): Record<string, string> {
  const env: Record<string, string> = {};
  const block = /\n {4}environment:\n((?: {6}.*\n)+)/.exec(service(name) + '\n');
  for (const line of block?.[1]?.split('\n') ?? []) {
    const m = /^ {6}([A-Z][A-Z0-9_]*):\s*(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!.trim().replace(/^"(.*)"$/, '$1');
  }
  return env;
}

describe('EMQX deployment', () => {
  it('sends the hooks to the routes the backend serves, with the credential from EMQX_HOOK_SECRET', () => {
    expect(CONF).toContain('url = "http://app:3000/api/broker/emqx/authn"');
    expect(CONF).toContain('url = "http://app:3000/api/broker/emqx/authz"');
    for (const node of ['emqx1', 'emqx2', 'emqx3']) {
      const env = environment(node);
      expect(env.EMQX_AUTHENTICATION__1__HEADERS__AUTHORIZATION).toMatch(/^Bearer \$\{EMQX_HOOK_SECRET:\?/);
      expect(env.EMQX_AUTHORIZATION__SOURCES__1__HEADERS__AUTHORIZATION).toMatch(/^Bearer \$\{EMQX_HOOK_SECRET:\?/);
      expect(env.EMQX_NODE__NAME).toBe(`emqx@${node}.emqx.local`);
      expect(env.EMQX_CLUSTER__STATIC__SEEDS).toBe('[emqx@emqx1.emqx.local,emqx@emqx2.emqx.local,emqx@emqx3.emqx.local]');
      expect(service(node)).toMatch(/profiles: \["emqx"\]/);
    }
  });

  it('keeps a device on one ingest member and denies what the backend does not allow', () => {
    expect(CONF).toMatch(/^\s*shared_subscription_strategy = hash_clientid$/m);
    expect(CONF).toMatch(/^\s*no_match = deny$/m);
    expect(Number(/max_mqueue_len = (\d+)/.exec(CONF)?.[1])).toBeGreaterThan(1000);
  });

  it('runs app-emqx with a configuration loadConfig accepts: hooks on, shared subscriptions, no Mosquitto provisioning', () => {
    const app = environment('app-emqx');
    expect(Object.keys(app).filter((k) => !new Set(configVariableNames()).has(k))).toEqual([]);
    const sample: Record<string, string> = {
      POSTGRES_APP_PASSWORD: 'p'.repeat(16),
      MQTT_PASSWORD: 'm'.repeat(16),
      EMQX_HOOK_SECRET: 'h'.repeat(40),
      JWT_SECRET: 'Vq3nR8xL2kP7wT5zB9mC4dF6gH1jS0yA-u8eN3rQ7tW2',
    };
    const env = Object.fromEntries(
      Object.entries(app).map(([k, v]) => [k, v.replace(/\$\{([A-Z0-9_]+)(?::[-?]([^}]*))?\}/g, (_a, n: string, d?: string) => sample[n] ?? (v.includes(`${n}:-`) ? (d ?? '') : ''))]),
    );
    const config = loadConfig(env);
    expect(config.emqxHooks).toEqual({ secret: 'h'.repeat(40) });
    expect(config.mqtt).toMatchObject({ url: 'mqtt://emqx1.emqx.local:1883', sharedSubscriptions: true, username: 'telemonitoring-backend' });
    expect(config.mqttAdmin).toBeUndefined();
    expect(service('app-emqx')).toMatch(/profiles: \["emqx"\]/);
    // The default stack is untouched: `app` and `mqtt` have no profile.
    expect(service('app')).not.toMatch(/profiles:/);
    expect(service('mqtt')).not.toMatch(/profiles:/);
  });
});
