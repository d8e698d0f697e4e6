import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { AppError, ErrorBody, ErrorCode } from './app-error.js';

const STATUS_TO_CODE: Record<number, ErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  429: 'TOO_MANY_REQUESTS',
  503: 'SERVICE_UNAVAILABLE',
};

/** Maps anything thrown to the one error format; unknown errors become a plain 500 with a correlation id. */
export function toErrorBody(exception: unknown, correlationId?: string): { status: number; body: ErrorBody } {
  if (exception instanceof AppError) {
    return {
      status: exception.status,
      body: { error: { code: exception.code, message: exception.message, details: exception.details } },
    };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    // ValidationPipe and body-parser errors: keep their messages (they name fields, not patient data).
    const raw = typeof response === 'object' && response !== null ? (response as Record<string, unknown>) : {};
    const messages = Array.isArray(raw.message) ? (raw.message as string[]) : undefined;
    const isValidation = status === 400 && messages !== undefined;
    const code: ErrorCode = isValidation ? 'VALIDATION_FAILED' : (STATUS_TO_CODE[status] ?? (status >= 500 ? 'INTERNAL' : 'BAD_REQUEST'));
    const message = messages ? messages.join('; ') : typeof raw.message === 'string' ? raw.message : exception.message;
    return { status, body: { error: { code, message, ...(messages ? { details: { fields: messages } } : {}) } } };
  }
  const bodyParserStatus = (exception as { status?: number; type?: string })?.status;
  if (typeof bodyParserStatus === 'number' && bodyParserStatus >= 400 && bodyParserStatus < 500) {
    const code = STATUS_TO_CODE[bodyParserStatus] ?? 'BAD_REQUEST';
    return { status: bodyParserStatus, body: { error: { code, message: 'malformed or oversized request body' } } };
  }
  return {
    status: HttpStatus.INTERNAL_SERVER_ERROR,
    body: { error: { code: 'INTERNAL', message: 'internal error', correlationId: correlationId ?? randomUUID() } },
  };
}

@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request & { id?: string }>();
    const correlationId = typeof req.id === 'string' ? req.id : undefined;
    const { status, body } = toErrorBody(exception, correlationId);
    if (status >= 500) {
      // The stack goes to the log only; the client gets the correlation id to quote.
      this.logger.error({ err: exception, correlationId: body.error.correlationId, path: req.route?.path }, 'unhandled error');
    }
    res.status(status).json(body);
  }
}
