import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { AppError } from '../common/app-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { AuditService } from '../audit/audit.service.js';
import { LoginAccountRepository } from './login-account.repository.js';
import { LoginRateLimiter } from './login-rate-limiter.js';
import { dummySecretHash, verifySecret } from './password.js';
import type { AccessTokenPayload, Principal } from './principal.js';

/** After this many consecutive failures the account is locked for LOCK_MINUTES. */
export const MAX_FAILED_LOGINS = 5;
export const LOCK_MINUTES = 15;

@Injectable()
export class AuthService {
  private readonly rateLimiter: LoginRateLimiter;

  constructor(
    private readonly accounts: LoginAccountRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly jwt: JwtService,
    private readonly audit: AuditService,
  ) {
    this.rateLimiter = new LoginRateLimiter(config.auth.loginRateLimit);
  }

  async login(username: string, password: string, ip?: string): Promise<{ accessToken: string; expiresIn: number }> {
    // Before any argon2 work: a refused attempt costs this check and its audit record only (every
    // failed login is audited: who tried, when, from where), one INSERT that also names the
    // account when the username exists.
    const verdict = this.rateLimiter.hit(ip, username);
    if (!verdict.allowed) {
      await this.audit.recordLoginAttempt(username, {
        action: 'auth.login',
        outcome: 'denied',
        actor: { ip },
        details: { reason: 'rate-limited', scope: verdict.scope, username },
      });
      throw new AppError('TOO_MANY_REQUESTS', 'too many login attempts, try again later', { retryAfterSeconds: verdict.retryAfterSeconds });
    }
    const user = await this.accounts.findByUsername(username);
    if (!user) {
      await verifySecret(await dummySecretHash(), password); // same timing as a wrong password
      await this.audit.record({ action: 'auth.login', outcome: 'failure', actor: { ip }, details: { reason: 'unknown-user', username } });
      throw new AppError('INVALID_CREDENTIALS', 'invalid username or password');
    }
    const actor = { userId: user.id, role: user.role, ip };
    if (user.lockedUntil && user.lockedUntil.getTime() > Date.now()) {
      await this.audit.record({ action: 'auth.login', outcome: 'denied', actor, details: { reason: 'locked' } });
      throw new AppError('ACCOUNT_LOCKED', 'account temporarily locked after repeated failures');
    }
    const ok = user.active && (await verifySecret(user.passwordHash, password));
    if (!ok) {
      await this.accounts.recordFailure(user.id, MAX_FAILED_LOGINS, LOCK_MINUTES);
      await this.audit.record({ action: 'auth.login', outcome: 'failure', actor, details: { reason: user.active ? 'bad-password' : 'inactive' } });
      throw new AppError('INVALID_CREDENTIALS', 'invalid username or password');
    }
    await this.accounts.clearFailures(user.id);
    await this.audit.record({ action: 'auth.login', outcome: 'success', actor });
    const payload: AccessTokenPayload = { sub: user.id, role: user.role };
    const accessToken = await this.jwt.signAsync(payload);
    return { accessToken, expiresIn: this.config.auth.accessTokenTtlSeconds };
  }

  /**
   * Token → principal, with memberships read now (not from the token), so removing a nurse
   * from a team or deactivating her takes effect on her next request.
   */
  async authenticate(token: string | undefined, ip?: string): Promise<Principal> {
    if (!token) throw new AppError('UNAUTHENTICATED', 'missing bearer token');
    let payload: AccessTokenPayload;
    try {
      payload = await this.jwt.verifyAsync<AccessTokenPayload>(token);
    } catch (err) {
      const expired = (err as Error).name === 'TokenExpiredError';
      throw new AppError(expired ? 'TOKEN_EXPIRED' : 'UNAUTHENTICATED', expired ? 'access token expired' : 'invalid access token');
    }
    const user = await this.accounts.withMemberships(payload.sub);
    if (!user || !user.active) throw new AppError('UNAUTHENTICATED', 'invalid access token');
    return { userId: user.id, username: user.username, role: user.role, careTeamIds: user.careTeamIds ?? [], ip };
  }
}
