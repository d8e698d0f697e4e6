import { describe, expect, it } from '@jest/globals';
import { loadConfig } from './app-config.js';
import { withSessionSettings } from './database-url.js';

/** The fields pg reads from a URL (the integration tests show pg applying `options`). */
function parse(url: string): Record<string, string> {
  const u = new URL(url);
  return {
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    host: u.hostname,
    database: u.pathname.slice(1),
    ...Object.fromEntries(u.searchParams),
  };
}

describe('withSessionSettings', () => {
  it('adds -c settings to the URL options that pg sends at connection start', () => {
    const url = withSessionSettings('postgres://u:p%40ss@db:5432/tm?sslmode=disable', { role: 'telemonitoring_app' });
    expect(parse(url)).toEqual({ user: 'u', password: 'p@ss', host: 'db', database: 'tm', sslmode: 'disable', options: '-c role=telemonitoring_app' });
  });

  it('keeps options already there, and escapes spaces and backslashes of values', () => {
    const once = withSessionSettings('postgres://u@db/tm?options=-c%20statement_timeout%3D5000', { role: 'app' });
    expect(parse(withSessionSettings(once, { application_name: 'a b\\c' })).options).toBe(
      '-c statement_timeout=5000 -c role=app -c application_name=a\\ b\\\\c',
    );
  });

  it('refuses a setting name that is not one', () => {
    expect(() => withSessionSettings('postgres://u@db/tm', { 'role -c x': 'y' })).toThrow(/invalid setting name/);
  });
});

describe('DATABASE_APP_ROLE', () => {
  const base = { DATABASE_URL: 'postgres://owner:pw@db:5432/tm', MQTT_URL: 'mqtt://m:1883', JWT_SECRET: 'Zq7-vR2pX9kLm4Tn8Wb1Yc6Hd3Js5Fg0aE2uQ8oI' };

  it('unset: the URL as given', () => {
    const config = loadConfig(base);
    expect(config.database).toMatchObject({ url: base.DATABASE_URL, appRole: undefined });
  });

  it('set: every connection built from the URL starts as that role', () => {
    const config = loadConfig({ ...base, DATABASE_APP_ROLE: 'telemonitoring_app' });
    expect(config.database.appRole).toBe('telemonitoring_app');
    expect(parse(config.database.url!)).toMatchObject({ user: 'owner', database: 'tm', options: '-c role=telemonitoring_app' });
  });

  it.each(['Telemonitoring', 'app; DROP', 'a b', 'x'.repeat(64), '1app'])('refuses %s by name', (role) => {
    expect(() => loadConfig({ ...base, DATABASE_APP_ROLE: role })).toThrow(/DATABASE_APP_ROLE must be a lower-case role name/);
  });

  it('needs DATABASE_URL (the embedded database has no such role)', () => {
    expect(() => loadConfig({ DATABASE_APP_ROLE: 'telemonitoring_app' })).toThrow(/DATABASE_APP_ROLE: needs DATABASE_URL/);
  });
});
