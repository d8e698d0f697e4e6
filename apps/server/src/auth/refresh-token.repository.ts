import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, type Repository } from 'typeorm';
import type { Tx } from '../database/transaction.js';
import { RefreshTokenEntity } from './refresh-token.entity.js';

export type StoredRefreshToken = Pick<RefreshTokenEntity, 'id' | 'familyId' | 'userId' | 'delivery' | 'expiresAt' | 'usedAt' | 'revokedAt'>;

export interface NewRefreshToken {
  tokenHash: string;
  familyId: string;
  userId: string;
  delivery: 'cookie' | 'body';
  expiresAt: Date;
}

/** Refresh tokens by their hash: issue, find-and-lock, mark used, revoke a family or a user's all. */
@Injectable()
export class RefreshTokenRepository {
  constructor(@InjectRepository(RefreshTokenEntity) private readonly tokens: Repository<RefreshTokenEntity>) {}

  async insert(token: NewRefreshToken, tx: Tx): Promise<void> {
    await tx.manager.getRepository(RefreshTokenEntity).insert({ ...token });
  }

  /** The token with this hash, its row locked for the transaction (two refreshes of one token queue up). */
  async lockByHash(tokenHash: string, tx: Tx): Promise<StoredRefreshToken | undefined> {
    const found = await tx.manager.getRepository(RefreshTokenEntity).findOne({
      select: { id: true, familyId: true, userId: true, delivery: true, expiresAt: true, usedAt: true, revokedAt: true },
      where: { tokenHash },
      lock: { mode: 'pessimistic_write' },
    });
    return found ?? undefined;
  }

  async markUsed(id: string, tx: Tx): Promise<void> {
    await tx.manager.getRepository(RefreshTokenEntity).update({ id }, { usedAt: () => 'now()' });
  }

  /** Revokes every live token of the family; returns how many. */
  async revokeFamily(familyId: string, tx?: Tx): Promise<number> {
    const repo = tx?.manager.getRepository(RefreshTokenEntity) ?? this.tokens;
    const { affected } = await repo.update({ familyId, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
    return affected ?? 0;
  }

  /** Revokes every live token of the user (deactivation). */
  async revokeUser(userId: string, tx?: Tx): Promise<number> {
    const repo = tx?.manager.getRepository(RefreshTokenEntity) ?? this.tokens;
    const { affected } = await repo.update({ userId, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
    return affected ?? 0;
  }

  /** Whether the login (family) still has a token that is neither revoked nor expired. */
  async familyLive(familyId: string): Promise<boolean> {
    return this.tokens
      .createQueryBuilder('t')
      .where('t.familyId = :familyId AND t.revokedAt IS NULL AND t.expiresAt > now()', { familyId })
      .getExists();
  }
}
