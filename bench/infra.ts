import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrate } from '../apps/server/src/database/migrator.js';
import { MIGRATIONS_DIR, PROJECT_ROOT } from '../apps/server/src/paths.js';

/** The machine's PostgreSQL (trust auth) when DATABASE_URL is not set. */
const DEFAULT_PG_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const BENCH_DB_NAME = 'tm_bench_run';

export interface BenchDatabase {
  url: string;
  /** The bench made this database (and may drop it at the end). */
  created: boolean;
  flavour: string;
  drop: () => Promise<void>;
}

/**
 * DATABASE_URL when set (used as is: migrations applied, nothing dropped), else a fresh database
 * on the machine's PostgreSQL, recreated at every run.
 */
export async function prepareDatabase(log: (m: string) => void): Promise<BenchDatabase> {
  const configured = process.env.DATABASE_URL;
  let url: string;
  let created = false;
  const adminUrl = process.env.BENCH_PG_ADMIN_URL ?? DEFAULT_PG_ADMIN_URL;
  if (configured) {
    url = configured;
  } else {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${BENCH_DB_NAME} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${BENCH_DB_NAME}`);
    } finally {
      await admin.end();
    }
    const u = new URL(adminUrl);
    u.pathname = `/${BENCH_DB_NAME}`;
    url = u.toString();
    created = true;
  }
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  let flavour: string;
  try {
    flavour = (await migrate(pool, MIGRATIONS_DIR, () => undefined)).flavour;
  } finally {
    await pool.end();
  }
  log(`database ${redact(url)} (${created ? 'fresh' : 'configured'}, ${flavour})`);
  return {
    url,
    created,
    flavour,
    drop: async () => {
      if (!created) return;
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${BENCH_DB_NAME} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}

/**
 * Writes the seed's dirty pages out before the load starts: the 30-day trend history is ~1 GB of
 * WAL, and the checkpoint it triggers otherwise lands in the first seconds of the load and stalls
 * every insert for about a second (seen as the store latency's p99). Needs a superuser or
 * pg_checkpoint; skipped with a note when the role may not.
 */
export async function checkpoint(url: string, log: (m: string) => void): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const started = performance.now();
    await client.query('CHECKPOINT');
    log(`checkpoint after the seed: ${Math.round(performance.now() - started)} ms`);
  } catch (err) {
    log(`no checkpoint after the seed (${(err as Error).message}): the first seconds of the load may pay for it`);
  } finally {
    await client.end();
  }
}

export interface BenchBroker {
  url: string;
  /** null when MQTT_URL was given (not ours to stop). */
  process: ChildProcess | null;
  stop: () => Promise<void>;
}

/**
 * MQTT_URL when set, else a dedicated Mosquitto started from bench/mosquitto-bench.conf on
 * `port` (the machine's stock Mosquitto drops messages past 1000 queued for one client).
 */
export async function startBroker(port: number, log: (m: string) => void): Promise<BenchBroker> {
  if (process.env.MQTT_URL) {
    log(`broker ${process.env.MQTT_URL} (configured)`);
    return { url: process.env.MQTT_URL, process: null, stop: async () => undefined };
  }
  const dir = await mkdtemp(join(tmpdir(), 'tm-bench-mqtt-'));
  const base = await readFile(join(PROJECT_ROOT, 'bench', 'mosquitto-bench.conf'), 'utf8');
  const file = join(dir, 'mosquitto.conf');
  await writeFile(file, `listener ${port} 127.0.0.1\n${base}`);
  const proc = spawn('mosquitto', ['-c', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  proc.stderr!.on('data', (d: Buffer) => (output = (output + d.toString('utf8')).slice(-10_000)));
  const started = Date.now();
  while (!/running/.test(output)) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`mosquitto exited: ${output.trim()}`);
    if (Date.now() - started > 10_000) {
      proc.kill('SIGKILL');
      throw new Error(`mosquitto did not start within 10 s: ${output.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  log(`broker: dedicated Mosquitto on 127.0.0.1:${port} (pid ${proc.pid})`);
  return {
    url: `mqtt://127.0.0.1:${port}`,
    process: proc,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function redact(url: string): string {
  return url.replace(/:[^:@/]+@/, ':***@');
}
