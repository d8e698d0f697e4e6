import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { Role } from '#domain';
import { AppError } from '../common/app-error.js';
import { AuthService } from './auth.service.js';
import { IS_PUBLIC, ROLES_KEY } from './decorators.js';
import type { Principal } from './principal.js';

/**
 * Global guard: every HTTP route needs a valid bearer token unless marked @Public(), and a role
 * listed by @Roles() when it has one. Installed as APP_GUARD so no controller can forget it.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true; // sockets authenticate in their handshake
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const req = context.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const header = req.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
    req.principal = await this.auth.authenticate(token, req.ip);
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (roles && !roles.includes(req.principal.role)) throw AppError.forbidden();
    return true;
  }
}
