/**
 * The one error taxonomy: every error a client can see has a stable `code`, an HTTP status and
 * a message with no patient data. Services throw AppError; the global filter maps it.
 */
export const ERROR_CODES = {
  VALIDATION_FAILED: 400,
  WEAK_PASSWORD: 400,
  BAD_REQUEST: 400,
  RANGE_TOO_LARGE: 400,
  PRESCRIBER_INVALID: 400,
  EPISODE_DATES_INVALID: 400,
  REPORT_MONTH_INVALID: 400,
  REPORT_MONTH_IN_FUTURE: 400,
  REPORT_MONTH_BEFORE_EPISODE: 400,
  REPORT_MONTH_OUTSIDE_EPISODE: 400,
  IDENTITY_INCOMPLETE: 400,
  SNOOZE_BODY_INVALID: 400,
  SNOOZE_RULE_UNKNOWN: 400,
  SNOOZE_REASON_REQUIRED: 400,
  SNOOZE_UNTIL_INVALID: 400,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  PSC_LOGIN_FAILED: 401,
  TOKEN_EXPIRED: 401,
  FORBIDDEN: 403,
  FIELD_NOT_ALLOWED: 403,
  PSC_UNKNOWN_PROFESSIONAL: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  ALERT_ALREADY_RESOLVED: 409,
  EPISODE_ALREADY_ACTIVE: 409,
  EPISODE_ALREADY_ENDED: 409,
  EPISODE_NOT_ENDED: 409,
  SNOOZE_ACTIVE: 409,
  SNOOZE_ALREADY_ENDED: 409,
  PAYLOAD_TOO_LARGE: 413,
  RULE_MANDATORY: 422,
  RULE_NOT_SNOOZABLE: 422,
  ACCOUNT_LOCKED: 423,
  TOO_MANY_REQUESTS: 429,
  INTERNAL: 500,
  SERVICE_UNAVAILABLE: 503,
  PSC_NOT_CONFIGURED: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }

  get status(): number {
    return ERROR_CODES[this.code];
  }

  static notFound(what = 'resource'): AppError {
    return new AppError('NOT_FOUND', `${what} not found`);
  }

  static forbidden(message = 'not allowed for your role'): AppError {
    return new AppError('FORBIDDEN', message);
  }

  static validation(message: string, details?: Record<string, unknown>): AppError {
    return new AppError('VALIDATION_FAILED', message, details);
  }
}

/** JSON body of every error response (REST) and every socket acknowledgement error. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown>; correlationId?: string };
}
