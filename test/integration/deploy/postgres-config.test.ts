import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { PROJECT_ROOT } from '../../../apps/server/src/paths.js';
import { TEST_DATABASE_URL } from '../../support/test-env.js';

// The production PostgreSQL settings (deploy/postgres/postgresql-production.conf) and the
// docker-compose db service that applies them as `-c` flags must say the same; each must be a
// setting this PostgreSQL knows (a typo would stop the server at start), and synchronous_commit
// stays on (the PUBACK promises durability).

/** `name = value` lines of a postgresql.conf file (comments and blank lines skipped). */
function confSettings(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    const m = /^([a-z_]+)\s*=\s*'?([^']*?)'?$/.exec(line);
    if (!m) throw new Error(`cannot read: ${raw}`);
    out[m[1]!] = m[2]!;
  }
  return out;
}

/** The `-c name=value` flags of the db service's `command:` list in docker-compose.yml. */
function composeDbFlags(compose: string): Record<string, string> {
  const lines = compose.split('\n');
  const start = lines.findIndex((l) => l === '  db:');
  const out: Record<string, string> = {};
  let inCommand = false;
  for (const line of lines.slice(start + 1)) {
    if (/^ {2}\S/.test(line)) break; // next service
    if (/^ {4}\S/.test(line)) inCommand = line.trim() === 'command:';
    else if (inCommand) {
      const m = /^ {6}- ([a-z_]+)=(.+)$/.exec(line);
      if (m) out[m[1]!] = m[2]!;
    }
  }
  return out;
}

describe('deploy/postgres production settings', () => {
  const conf = confSettings(readFileSync(join(PROJECT_ROOT, 'deploy/postgres/postgresql-production.conf'), 'utf8'));
  const compose = composeDbFlags(readFileSync(join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8'));
  let pool: pg.Pool;

  beforeAll(() => {
    pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 1 });
  });
  afterAll(async () => {
    await pool?.end();
  });

  it('are the ones docker-compose.yml gives the db service', () => {
    expect(Object.keys(conf).length).toBeGreaterThanOrEqual(6);
    expect(compose).toEqual(conf);
  });

  it('size the WAL for checkpoints by time, and keep synchronous_commit on', () => {
    expect(conf).toMatchObject({ max_wal_size: '8GB', checkpoint_timeout: '15min', checkpoint_completion_target: '0.9', synchronous_commit: 'on', full_page_writes: 'on' });
  });

  it('are all settings this PostgreSQL knows, with values of their type', async () => {
    const { rows } = await pool.query<{ name: string; vartype: string; unit: string | null; enumvals: string[] | null }>(
      `SELECT name, vartype, unit, enumvals FROM pg_settings WHERE name = ANY($1)`,
      [Object.keys(conf)],
    );
    expect(rows.map((r) => r.name).sort()).toEqual(Object.keys(conf).sort());
    for (const r of rows) {
      const value = conf[r.name]!;
      if (r.vartype === 'bool') expect(['on', 'off']).toContain(value);
      else if (r.vartype === 'enum') expect(r.enumvals).toContain(value);
      else if (r.vartype === 'real') expect(Number.isFinite(Number(value))).toBe(true);
      else if (r.vartype === 'integer') expect(value).toMatch(/^\d+(kB|MB|GB|TB|ms|s|min|h|d)?$/);
    }
  });
});
