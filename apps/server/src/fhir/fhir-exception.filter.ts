import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { toErrorBody } from '../common/all-exceptions.filter.js';
import type { ErrorCode } from '../common/app-error.js';
import { FHIR_JSON, operationOutcome, type IssueType } from './fhir-resources.js';

const ISSUE: Partial<Record<ErrorCode, IssueType>> = {
  VALIDATION_FAILED: 'invalid',
  BAD_REQUEST: 'invalid',
  RANGE_TOO_LARGE: 'too-costly',
  UNAUTHENTICATED: 'login',
  TOKEN_EXPIRED: 'login',
  INVALID_CREDENTIALS: 'login',
  FORBIDDEN: 'forbidden',
  NOT_FOUND: 'not-found',
  TOO_MANY_REQUESTS: 'throttled',
  ACCOUNT_LOCKED: 'throttled',
  PAYLOAD_TOO_LARGE: 'too-costly',
  SERVICE_UNAVAILABLE: 'transient',
  INTERNAL: 'exception',
};

/** FHIR routes answer errors as OperationOutcome (same statuses and codes as the REST error format). */
@Catch()
export class FhirExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Fhir');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request & { id?: string }>();
    const { status, body } = toErrorBody(exception, typeof req.id === 'string' ? req.id : undefined);
    if (status >= 500) this.logger.error({ err: exception, correlationId: body.error.correlationId }, 'unhandled error');
    const diagnostics = body.error.correlationId ? `${body.error.message} (correlation id ${body.error.correlationId})` : body.error.message;
    const outcome = operationOutcome(ISSUE[body.error.code] ?? 'processing', `${body.error.code}: ${diagnostics}`);
    res.status(status).type(FHIR_JSON).send(JSON.stringify(outcome));
  }
}
