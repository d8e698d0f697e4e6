import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { IsOptional, IsString, Matches, MaxLength, validateSync } from 'class-validator';
import { AppError } from '../common/app-error.js';
import { assertNoControlCharacters } from '../common/control-characters.js';
import { MAX_JSON_DEPTH, valueTooDeep } from '../common/json-depth.js';

const BIGINT_ID = /^\d{1,18}$/;

/** `alerts.sync { afterId? }`: afterId is an alert event id as a decimal string. */
export class SyncDto {
  @IsOptional() @IsString() @Matches(BIGINT_ID, { message: 'afterId must be an event id (decimal string)' })
  afterId?: string;
}

/** `alert.ack { id, note? }` and `alert.resolve { id, note? }`. */
export class AlertActionDto {
  @IsString() @Matches(BIGINT_ID, { message: 'id must be an alert id (decimal string)' })
  id!: string;

  @IsOptional() @IsString() @MaxLength(2000)
  note?: string;
}

/** `auth.renew { token }`: a new access token for this connection (CONTRACT.md §9). */
export class RenewDto {
  @IsString() @MaxLength(4096)
  token!: string;
}

/**
 * Validates a socket payload the way the HTTP ValidationPipe does (whitelist, no unknown fields),
 * and throws AppError VALIDATION_FAILED naming the fields. Socket input is untrusted like any other.
 */
export function parsePayload<T extends object>(cls: new () => T, payload: unknown, optional = false): T {
  if ((payload === undefined || payload === null) && optional) payload = {};
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw AppError.validation('payload must be an object');
  }
  if (valueTooDeep(payload)) throw AppError.validation(`payload nested deeper than ${MAX_JSON_DEPTH} levels`);
  // The same rule as HTTP input (common/control-characters.ts).
  assertNoControlCharacters(payload, 'payload');
  const instance = plainToInstance(cls, payload);
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) {
    const fields = errors.flatMap((e) => Object.values(e.constraints ?? { [e.property]: `${e.property} is invalid` }));
    throw AppError.validation(fields.join('; '), { fields });
  }
  return instance;
}
