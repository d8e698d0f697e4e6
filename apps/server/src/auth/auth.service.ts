import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { Pool } from 'pg';
import type { Role } from '#domain';
import { AppError } from '../common/app-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { PG_POOL } from '../database/database.module.js';
import { AuditService } from '../audit/audit.service.js';
import { LoginRateLimiter } from './login-rate-limiter.js';
import { dummySecretHash, verifySecret } from './password.js';
import type { AccessTokenPayload, Principal } from './principal.js';

/** After this many consecutive failures the account is locked for LOCK_MINUTES. */
export const MAX_FAILED_LOGINS = 5;
export const LOCK_MINUTES = 15;

interface UserRow {
  id: string;
  username: string;
  role: Role;
  password_hash: string;
  active: boolean;
  failed_login_count: number;
  locked_until: Date | null;
}

@Injectable()
export class AuthService {
  private readonly rateLimiter: LoginRateLimiter;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
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
    const { rows } = await this.pool.query<UserRow>(
      `SELECT id, username, role, password_hash, active, failed_login_count, locked_until FROM users WHERE username = $1`,
      [username],
    );
    const user = rows[0];
    if (!user) {
      await verifySecret(await dummySecretHash(), password); // same timing as a wrong password
      await this.audit.record({ action: 'auth.login', outcome: 'failure', actor: { ip }, details: { reason: 'unknown-user', username } });
      throw new AppError('INVALID_CREDENTIALS', 'invalid username or password');
    }
    const actor = { userId: user.id, role: user.role, ip };
    if (user.locked_until && user.locked_until.getTime() > Date.now()) {
      await this.audit.record({ action: 'auth.login', outcome: 'denied', actor, details: { reason: 'locked' } });
      throw new AppError('ACCOUNT_LOCKED', 'account temporarily locked after repeated failures');
    }
    const ok = user.active && (await verifySecret(user.password_hash, password));
    if (!ok) {
      // Consecutive failures: a lock that has expired starts a new count (this failure is its
      // first), so one failure after the lock-out does not lock the account again. Only the row's
      // own values are read, so concurrent failures each count once.
      await this.pool.query(
        `UPDATE users SET
           failed_login_count = CASE WHEN locked_until <= now() THEN 1 ELSE failed_login_count + 1 END,
           locked_until = CASE
             WHEN (CASE WHEN locked_until <= now() THEN 1 ELSE failed_login_count + 1 END) >= $2 THEN now() + make_interval(mins => $3)
             WHEN locked_until <= now() THEN NULL
             ELSE locked_until END
         WHERE id = $1`,
        [user.id, MAX_FAILED_LOGINS, LOCK_MINUTES],
      );
      await this.audit.record({ action: 'auth.login', outcome: 'failure', actor, details: { reason: user.active ? 'bad-password' : 'inactive' } });
      throw new AppError('INVALID_CREDENTIALS', 'invalid username or password');
    }
    await this.pool.query(`UPDATE users SET failed_login_count = 0, locked_until = NULL WHERE id = $1`, [user.id]);
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
    const { rows } = await this.pool.query<{ id: string; username: string; role: Role; active: boolean; teams: string[] | null }>(
      `SELECT u.id, u.username, u.role, u.active, array_remove(array_agg(m.care_team_id::text), NULL) AS teams
         FROM users u LEFT JOIN user_care_teams m ON m.user_id = u.id
        WHERE u.id = $1 GROUP BY u.id`,
      [payload.sub],
    );
    const user = rows[0];
    if (!user || !user.active) throw new AppError('UNAUTHENTICATED', 'invalid access token');
    return { userId: user.id, username: user.username, role: user.role, careTeamIds: user.teams ?? [], ip };
  }
}
