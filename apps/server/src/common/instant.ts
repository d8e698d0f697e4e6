import { AppError } from './app-error.js';

/**
 * An ISO-8601 query value (already checked by `@IsISO8601`) as an instant PostgreSQL can read.
 * ISO forms JavaScript cannot place in time (week or ordinal dates) and years outside 1–9999 are
 * a 400 VALIDATION_FAILED naming the parameter, not a database error.
 */
export function parseInstant(name: string, value: string): Date {
  const d = new Date(Date.parse(value));
  const year = d.getUTCFullYear();
  if (!Number.isFinite(d.getTime()) || year < 1 || year > 9999) {
    throw AppError.validation(`${name} must be an ISO-8601 date-time`, { fields: [`${name} must be an ISO-8601 date-time`] });
  }
  return d;
}

/** A period [from, to) must not be empty: 400 otherwise. */
export function assertFromBeforeTo(from: Date, to: Date): void {
  if (from.getTime() >= to.getTime()) throw AppError.validation('from must be before to', { fields: ['from must be before to'] });
}
