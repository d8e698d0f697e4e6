import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import type { Observable } from 'rxjs';
import { assertNoControlCharacters } from './control-characters.js';
import { assertNoPrototypeKeys } from './prototype-keys.js';

/**
 * Refuses (400 VALIDATION_FAILED, naming the field) an HTTP request whose route parameters, query
 * string or JSON body (any string value or key, at any depth) holds a control character, or whose
 * body or query has a `__proto__` / `constructor` / `prototype` key, before any pipe or handler
 * sees it. An interceptor, not a middleware: it runs after routing (the route parameters are
 * known) and before the ValidationPipe (which would strip prototype keys silently), and its error
 * goes through the route's exception filter (OperationOutcome on FHIR). Socket messages are
 * checked by console.dto.ts parsePayload.
 */
@Injectable()
export class InputGuardInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() === 'http') {
      const req = context.switchToHttp().getRequest<Request>();
      assertNoControlCharacters(req.params, 'params');
      assertNoControlCharacters(req.query, 'query');
      assertNoControlCharacters(req.body, 'body');
      assertNoPrototypeKeys(req.query, 'query');
      assertNoPrototypeKeys(req.body, 'body');
    }
    return next.handle();
  }
}
