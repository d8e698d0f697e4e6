import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { TransactionRunner, type Tx } from '../database/transaction.js';
import { RefreshTokenRepository, type StoredRefreshToken } from './refresh-token.repository.js';

export type RefreshDelivery = 'cookie' | 'body';

/** What a presented refresh token turned out to be. */
export type RotationOutcome =
  | { ok: true; userId: string; familyId: string; delivery: RefreshDelivery; refreshToken: string }
  | { ok: false; reason: 'unknown' | 'revoked' | 'expired' | 'reused'; userId?: string; familyId?: string };

const hashOf = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

/**
 * Refresh tokens (CONTRACT.md §9): 256 random bits, base64url, stored as their SHA-256. A login
 * starts a family; a refresh marks the presented token used and issues the next of the family; a
 * used token presented again revokes the family (whoever holds the newer one is logged out too,
 * which is the point: one of the two is a thief).
 */
@Injectable()
export class RefreshTokenService {
  constructor(
    private readonly tokens: RefreshTokenRepository,
    private readonly transactions: TransactionRunner,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** A new family (a login). */
  start(userId: string, delivery: RefreshDelivery): Promise<{ familyId: string; refreshToken: string }> {
    const familyId = randomUUID();
    return this.transactions.run(async (tx) => ({ familyId, refreshToken: await this.issue(userId, familyId, delivery, tx) }));
  }

  /** Uses the token once: the next token of its family, or why not. A reuse revokes the family. */
  rotate(refreshToken: string, userIsActive: (userId: string, tx: Tx) => Promise<boolean>): Promise<RotationOutcome> {
    return this.transactions.run(async (tx) => {
      const stored = await this.tokens.lockByHash(hashOf(refreshToken), tx);
      if (!stored) return { ok: false, reason: 'unknown' };
      const refused = await this.refusal(stored, tx, userIsActive);
      if (refused) return { ok: false, reason: refused, userId: stored.userId, familyId: stored.familyId };
      await this.tokens.markUsed(stored.id, tx);
      const next = await this.issue(stored.userId, stored.familyId, stored.delivery, tx);
      return { ok: true, userId: stored.userId, familyId: stored.familyId, delivery: stored.delivery, refreshToken: next };
    });
  }

  /** Logout: revokes the token's family if it belongs to `userId` (another user's token is left alone). */
  async revokeFamilyOf(refreshToken: string, userId: string): Promise<string | undefined> {
    return this.transactions.run(async (tx) => {
      const stored = await this.tokens.lockByHash(hashOf(refreshToken), tx);
      if (!stored || stored.userId !== userId) return undefined;
      await this.tokens.revokeFamily(stored.familyId, tx);
      return stored.familyId;
    });
  }

  revokeFamily(familyId: string): Promise<number> {
    return this.tokens.revokeFamily(familyId);
  }

  /** Every session of the user ends (deactivation), in the caller's transaction. */
  revokeUser(userId: string, tx: Tx): Promise<number> {
    return this.tokens.revokeUser(userId, tx);
  }

  /** Access tokens name their family (`sid`): a revoked or expired family's access tokens stop working. */
  familyLive(familyId: string): Promise<boolean> {
    return this.tokens.familyLive(familyId);
  }

  private async refusal(
    stored: StoredRefreshToken,
    tx: Tx,
    userIsActive: (userId: string, tx: Tx) => Promise<boolean>,
  ): Promise<'revoked' | 'expired' | 'reused' | undefined> {
    if (stored.revokedAt) return 'revoked';
    if (stored.usedAt) {
      await this.tokens.revokeFamily(stored.familyId, tx);
      return 'reused';
    }
    if (stored.expiresAt.getTime() <= Date.now()) return 'expired';
    if (!(await userIsActive(stored.userId, tx))) {
      await this.tokens.revokeUser(stored.userId, tx);
      return 'revoked';
    }
    return undefined;
  }

  private async issue(userId: string, familyId: string, delivery: RefreshDelivery, tx: Tx): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + this.config.auth.refreshTokenTtlSeconds * 1000);
    await this.tokens.insert({ tokenHash: hashOf(token), familyId, userId, delivery, expiresAt }, tx);
    return token;
  }
}
