import { PGlite } from '@electric-sql/pglite';
import { timescaledb } from '@electric-sql/pglite/timescaledb';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface PgliteTimescale {
  /** postgres://… for the `pg` driver; one connection at a time (PGlite is single-connection). */
  url: string;
  stop: () => Promise<void>;
}

/**
 * Real TimescaleDB (2.23, in PGlite = PostgreSQL 17 compiled to WASM) served over the PostgreSQL
 * wire protocol, so the production code and the migrator run against it through `pg` unchanged.
 */
export async function startPgliteTimescale(port: number): Promise<PgliteTimescale> {
  const db = await PGlite.create({ extensions: { timescaledb } });
  const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1' });
  await server.start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}
