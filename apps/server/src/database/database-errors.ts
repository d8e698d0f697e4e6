import { QueryFailedError } from 'typeorm';
import { AppError } from '../common/app-error.js';

/** Messages for the unique constraints a client can run into (constraint name → what is taken). */
const UNIQUE_MESSAGES: Record<string, string> = {
  care_teams_name_key: 'a care team with this name already exists',
  users_username_key: 'this username is already taken',
  users_national_id_key: 'a user with this national identifier already exists',
  users_rpps_key: 'a user with this RPPS number already exists',
  patients_ins_key: 'a patient with this INS already exists',
  devices_pkey: 'a device with this id is already registered',
};

/**
 * The PostgreSQL error under `err`: pg's own DatabaseError (hand-written SQL), or the driverError of
 * TypeORM's QueryFailedError (repositories). Typeorm 1.x also copies the driver's fields onto the
 * QueryFailedError; reading driverError does not depend on that.
 */
type PgErrorFields = { code?: string; constraint?: string } | undefined;

function pgErrorOf(err: unknown): PgErrorFields {
  if (err instanceof QueryFailedError) return (err.driverError as PgErrorFields) ?? (err as PgErrorFields);
  return err as PgErrorFields;
}

/**
 * Maps the database's refusals that a client can cause to the error taxonomy, so that they are
 * a 409/400 with a stable code rather than a 500. Anything else is rethrown unchanged.
 */
export function mapDatabaseError(err: unknown): never {
  const pgErr = pgErrorOf(err);
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
