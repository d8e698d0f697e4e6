import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '../config/app-config.js';
import { checkMetricsAccess } from '../metrics/metrics-access.js';
import { AppError } from './app-error.js';
import { assertPublicBaseUrl } from './http-security.js';

const services = { DATABASE_URL: 'postgres://u:p@db/tm', MQTT_URL: 'mqtt://broker:1883', JWT_SECRET: 'Vt8qZ2mX4nR7wL1pK6sD9fH3jB5cG0yEa7Qw' };
/** Production's other start-up checks (the broker's, MQTT_INSECURE) are not what these tests are about. */
const production = { NODE_ENV: 'production', MQTT_INSECURE: 'true' };

describe('HTTP exposure configuration (issue 21 §4)', () => {
  it.each([
    ['development: docs on', services, true],
    ['production: docs off', { ...services, ...production }, false],
    ['production, API_DOCS=true', { ...services, ...production, API_DOCS: 'true' }, true],
    ['development, API_DOCS=false', { ...services, API_DOCS: 'false' }, false],
  ])('%s', (_name, env: Record<string, string>, apiDocs) => {
    expect(loadConfig(env).exposure.apiDocs).toBe(apiDocs);
  });

  it('keeps PUBLIC_BASE_URL without its trailing slash and refuses anything but an http(s) URL, naming it', () => {
    expect(loadConfig({ ...services, PUBLIC_BASE_URL: 'https://tm.example.org/base/' }).exposure.publicBaseUrl).toBe('https://tm.example.org/base');
    for (const bad of ['tm.example.org', 'ftp://tm.example.org', 'https://tm.example.org/?x=1', 'https://tm.example.org/#top', 'javascript:alert(1)']) {
      expect(() => loadConfig({ ...services, PUBLIC_BASE_URL: bad })).toThrow(/PUBLIC_BASE_URL must be an http:\/\/ or https:\/\/ URL/);
    }
  });

  it('refuses a short METRICS_TOKEN, naming it', () => {
    expect(() => loadConfig({ ...services, METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN must be at least 16 characters/);
  });

  it.each([
    ['production API without PUBLIC_BASE_URL', { ...services, ...production }, true],
    ['production API with it', { ...services, ...production, PUBLIC_BASE_URL: 'https://tm.example.org' }, false],
    ['production ingest process (no links)', { ...services, ...production, ROLES: 'ingest' }, false],
    ['the demo in production (the Docker image alone)', production, false],
    ['development', services, false],
  ])('start-up refusal: %s → %s', (_name, env: Record<string, string>, refused) => {
    const check = () => assertPublicBaseUrl(loadConfig(env));
    if (refused) expect(check).toThrow(ConfigError);
    else expect(check).not.toThrow();
  });
});

describe('checkMetricsAccess', () => {
  const token = 'metrics-token-0123456789';
  const code = (f: () => void): string | undefined => {
    try {
      f();
      return undefined;
    } catch (err) {
      return (err as AppError).code;
    }
  };
  it.each([
    ['open outside production without a token', { production: false, metricsToken: undefined }, undefined, undefined],
    ['404 in production without a token configured', { production: true, metricsToken: undefined }, `Bearer ${token}`, 'NOT_FOUND'],
    ['the token opens it', { production: true, metricsToken: token }, `Bearer ${token}`, undefined],
    ['any case of the scheme', { production: true, metricsToken: token }, `bearer ${token}`, undefined],
    ['401 without a header', { production: true, metricsToken: token }, undefined, 'UNAUTHENTICATED'],
    ['401 with another token', { production: true, metricsToken: token }, `Bearer ${token}x`, 'UNAUTHENTICATED'],
    ['401 with a prefix of it', { production: true, metricsToken: token }, `Bearer ${token.slice(0, 10)}`, 'UNAUTHENTICATED'],
    ['401 with Basic', { production: true, metricsToken: token }, `Basic ${token}`, 'UNAUTHENTICATED'],
    ['a token is required outside production too once set', { production: false, metricsToken: token }, undefined, 'UNAUTHENTICATED'],
  ])('%s', (_name, exposure, authorization, expected) => {
    expect(code(() => checkMetricsAccess(exposure, authorization))).toBe(expected);
  });
});
