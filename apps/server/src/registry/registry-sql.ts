import type { Pool, PoolClient } from 'pg';
import { AppError } from '../common/app-error.js';

/** A pool or a client inside a transaction: repositories take either. */
export type Queryable = Pick<Pool, 'query'> | PoolClient;

/** Runs `work` in one transaction on one client; rolls back on any error. */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** Messages for the unique constraints a client can run into (constraint name → what is taken). */
const UNIQUE_MESSAGES: Record<string, string> = {
  care_teams_name_key: 'a care team with this name already exists',
  users_username_key: 'this username is already taken',
  users_national_id_key: 'a user with this national identifier already exists',
  patients_ins_key: 'a patient with this INS already exists',
  devices_pkey: 'a device with this id is already registered',
};

/**
 * Maps the database's refusals that a client can cause to the error taxonomy, so that they are
 * a 409/400 with a stable code rather than a 500. Anything else is rethrown unchanged.
 */
export function mapDatabaseError(err: unknown): never {
  const pgErr = err as { code?: string; constraint?: string };
  switch (pgErr?.code) {
    case '23505':
      throw new AppError('CONFLICT', UNIQUE_MESSAGES[pgErr.constraint ?? ''] ?? 'already exists');
    case '23503':
      throw AppError.validation('a referenced record does not exist');
    case '23514':
    case '22P02':
    case '22001':
      throw AppError.validation('a value is not acceptable');
    default:
      throw err;
  }
}
