import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { AppError } from '../common/app-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { AuditService } from '../audit/audit.service.js';
import { LoginAccountRepository, type LoginAccount } from './login-account.repository.js';
import { LoginRateLimiter } from './login-rate-limiter.js';
import { dummySecretHash, verifySecret } from './password.js';
import type { AccessTokenPayload, Principal } from './principal.js';
import { RefreshTokenService, type RefreshDelivery } from './refresh-token.service.js';

export interface SessionTokens {
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  delivery: RefreshDelivery;
}

/** A verified access token: who, and until when (epoch ms). */
export interface VerifiedAccess {
  principal: Principal;
  expiresAt: number;
}

@Injectable()
export class AuthService {
  private readonly rateLimiter: LoginRateLimiter;

  constructor(
    private readonly accounts: LoginAccountRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly jwt: JwtService,
    private readonly audit: AuditService,
    private readonly refreshTokens: RefreshTokenService,
  ) {
    this.rateLimiter = new LoginRateLimiter({ ...config.auth.loginRateLimit, lockBaseSeconds: config.auth.loginLockBaseSeconds });
  }

  /**
   * Unknown, deactivated and active accounts get the same answers and cost the same argon2
   * verification (a dummy hash for an unknown name), so neither the answer nor its timing tells
   * which usernames exist. Every failed or refused attempt is audited (who tried, when, from where).
   */
  async login(username: string, password: string, ip: string | undefined, delivery: RefreshDelivery): Promise<SessionTokens> {
    // Before any argon2 work: a refused attempt costs this check and its audit record only.
    const verdict = this.rateLimiter.check(ip, username);
    if (!verdict.allowed) {
      const locked = verdict.scope === 'account';
      await this.audit.recordLoginAttempt(username, {
        action: 'auth.login',
        outcome: 'denied',
        actor: { ip },
        details: locked ? { reason: 'locked', username } : { reason: 'rate-limited', scope: verdict.scope, username },
      });
      throw locked
        ? new AppError('ACCOUNT_LOCKED', 'account temporarily locked after repeated failures', { retryAfterSeconds: verdict.retryAfterSeconds })
        : new AppError('TOO_MANY_REQUESTS', 'too many login attempts, try again later', { retryAfterSeconds: verdict.retryAfterSeconds });
    }
    const user = await this.accounts.findByUsername(username);
    const passwordOk = await verifySecret(user?.passwordHash ?? (await dummySecretHash()), password);
    if (!user || !user.active || !passwordOk) {
      this.rateLimiter.failure(ip, username);
      const reason = !user ? 'unknown-user' : !user.active ? 'inactive' : 'bad-password';
      await this.audit.record({
        action: 'auth.login',
        outcome: 'failure',
        actor: user ? { userId: user.id, role: user.role, ip } : { ip },
        details: user ? { reason } : { reason, username },
      });
      throw new AppError('INVALID_CREDENTIALS', 'invalid username or password');
    }
    this.rateLimiter.success(ip, username);
    await this.audit.record({ action: 'auth.login', outcome: 'success', actor: { userId: user.id, role: user.role, ip } });
    const { familyId, refreshToken } = await this.refreshTokens.start(user.id, delivery);
    return { ...(await this.accessToken(user, familyId)), refreshToken, delivery };
  }

  /**
   * A professional authenticated by Pro Santé Connect (psc.service.ts): the same tokens as a
   * password login, for the active user whose RPPS the provider gave. Unknown or inactive →
   * refused and audited (PSC authenticates; the registry still authorises).
   */
  async loginByRpps(rpps: string, ip: string | undefined, delivery: RefreshDelivery): Promise<SessionTokens> {
    const user = await this.accounts.findByRpps(rpps);
    if (!user || !user.active) {
      await this.audit.record({
        action: 'auth.psc.login',
        outcome: 'denied',
        actor: user ? { userId: user.id, role: user.role, ip } : { ip },
        details: { reason: user ? 'inactive' : 'unknown-professional', rpps },
      });
      throw new AppError('PSC_UNKNOWN_PROFESSIONAL', 'no active account for this professional: ask an admin to register your RPPS');
    }
    await this.audit.record({ action: 'auth.psc.login', outcome: 'success', actor: { userId: user.id, role: user.role, ip } });
    const { familyId, refreshToken } = await this.refreshTokens.start(user.id, delivery);
    return { ...(await this.accessToken(user, familyId)), refreshToken, delivery };
  }

  /** A refresh token → a new access token and the next refresh token (CONTRACT.md §9). */
  async refresh(refreshToken: string, ip?: string): Promise<SessionTokens> {
    const outcome = await this.refreshTokens.rotate(refreshToken, (userId, tx) => this.accounts.isActive(userId, tx));
    if (!outcome.ok) {
      await this.audit.record({
        action: 'auth.refresh',
        outcome: 'denied',
        actor: { userId: outcome.userId, ip },
        targetType: 'session',
        targetId: outcome.familyId,
        details: { reason: outcome.reason },
      });
      throw new AppError('UNAUTHENTICATED', 'invalid refresh token');
    }
    const user = await this.accounts.withMemberships(outcome.userId);
    if (!user) throw new AppError('UNAUTHENTICATED', 'invalid refresh token');
    // Refreshes are frequent (every few minutes per console): audited only when refused.
    return { ...(await this.accessToken(user, outcome.familyId)), refreshToken: outcome.refreshToken, delivery: outcome.delivery };
  }

  /** Ends the login the refresh token belongs to (if it is the caller's): its tokens stop working now. */
  async logout(principal: Principal, refreshToken: string | undefined): Promise<void> {
    const familyId = refreshToken ? await this.refreshTokens.revokeFamilyOf(refreshToken, principal.userId) : undefined;
    // The access token's own login ends too, whichever refresh token came with it.
    if (principal.sessionId && principal.sessionId !== familyId) await this.refreshTokens.revokeFamily(principal.sessionId);
    await this.audit.record({ action: 'auth.logout', actor: principal, targetType: 'session', targetId: principal.sessionId ?? familyId });
  }

  /**
   * Token → principal, with memberships read now (not from the token), so removing a nurse
   * from a team or deactivating her takes effect on her next request.
   */
  async authenticate(token: string | undefined, ip?: string): Promise<Principal> {
    return (await this.verifyAccess(token, ip)).principal;
  }

  /** As authenticate, with the token's expiry (the console closes a socket at it unless renewed). */
  async verifyAccess(token: string | undefined, ip?: string): Promise<VerifiedAccess> {
    if (!token) throw new AppError('UNAUTHENTICATED', 'missing bearer token');
    let payload: AccessTokenPayload;
    try {
      payload = await this.jwt.verifyAsync<AccessTokenPayload>(token);
    } catch (err) {
      const expired = (err as Error).name === 'TokenExpiredError';
      throw new AppError(expired ? 'TOKEN_EXPIRED' : 'UNAUTHENTICATED', expired ? 'access token expired' : 'invalid access token');
    }
    // jsonwebtoken accepts a token without `exp` as never expiring: not here.
    if (typeof payload.exp !== 'number' || typeof payload.sub !== 'string') throw new AppError('UNAUTHENTICATED', 'invalid access token');
    const user = await this.accounts.withMemberships(payload.sub);
    if (!user || !user.active) throw new AppError('UNAUTHENTICATED', 'invalid access token');
    if (payload.sid !== undefined && !(await this.refreshTokens.familyLive(payload.sid))) {
      throw new AppError('UNAUTHENTICATED', 'session ended');
    }
    return {
      principal: { userId: user.id, username: user.username, role: user.role, careTeamIds: user.careTeamIds ?? [], ip, sessionId: payload.sid },
      expiresAt: payload.exp * 1000,
    };
  }

  private async accessToken(user: Pick<LoginAccount, 'id' | 'role'>, familyId: string): Promise<{ accessToken: string; expiresIn: number }> {
    const payload: AccessTokenPayload = { sub: user.id, role: user.role, sid: familyId };
    return { accessToken: await this.jwt.signAsync(payload), expiresIn: this.config.auth.accessTokenTtlSeconds };
  }
}
