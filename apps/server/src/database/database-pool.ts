import pg from 'pg';
import { withSessionSettings } from '../config/database-url.js';

/** Injection token of the shared `pg` pool: the time series and hand-written SQL. */
export const PG_POOL = Symbol('PG_POOL');

// Return bigint ids (alerts, events) as strings and timestamps as Date: the defaults of pg,
// stated here so that nobody changes them by accident. numeric/int8 stay strings.

/**
 * The session settings every connection of the product gets. JIT compilation costs more than it
 * saves on these short OLTP and trend queries (measured: 2.6 s of a 3.5 s raw-bucket query was JIT).
 * In the URL, not as `options`: pg lets the URL's own options (DATABASE_APP_ROLE's role) win.
 */
export function productConnectionString(url: string): string {
  return withSessionSettings(url, { jit: 'off' });
}

/**
 * The `pg` module as TypeORM should load it: its pools survive connections that the database
 * drops (restart, pg_terminate_backend), whether idle (pool 'error') or checked out between two
 * queries (the client's 'error'; its next query fails instead of crashing the process).
 */
class ResilientPool extends pg.Pool {
  constructor(config?: pg.PoolConfig) {
    super(config);
    this.on('error', () => undefined);
    this.on('connect', (client) => client.on('error', () => undefined));
  }
}
export const resilientPg: typeof pg = Object.create(pg, { Pool: { value: ResilientPool, enumerable: true } }) as typeof pg;

/**
 * A short-lived pool of its own, for what runs outside the Nest application: migrations at start,
 * the embedded broker's device lookups (docs/database.md, "Connections").
 */
export function createPool(url: string, max: number, applicationName: string): pg.Pool {
  return new ResilientPool({ connectionString: productConnectionString(url), max, application_name: applicationName });
}
