import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Role } from '#domain';
import type { Principal } from './principal.js';

export const IS_PUBLIC = 'tm:isPublic';
export const ROLES_KEY = 'tm:roles';

/** The route needs no token (login, health, metrics, static console). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** Only these roles may call the route; every other authenticated user gets 403. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

export const CurrentUser = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal => {
  const req = ctx.switchToHttp().getRequest<{ principal?: Principal }>();
  return req.principal!;
});
