import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import type { Role } from '#domain';
import { UserCareTeamEntity, UserEntity } from '../registry/registry.entities.js';

/** What a login needs of an account, its password hash included (only here). */
export type LoginAccount = Pick<UserEntity, 'id' | 'username' | 'role' | 'passwordHash' | 'active' | 'failedLoginCount' | 'lockedUntil'>;

/** An account as a request's principal: its care teams are read at every request. */
export interface AccountMemberships {
  id: string;
  username: string;
  role: Role;
  active: boolean;
  careTeamIds: string[];
}

/** The accounts' side of authentication: credentials, the lock-out counter, memberships. */
@Injectable()
export class LoginAccountRepository {
  constructor(@InjectRepository(UserEntity) private readonly users: Repository<UserEntity>) {}

  async findByUsername(username: string): Promise<LoginAccount | undefined> {
    const found = await this.users.findOne({
      // passwordHash is select: false on the entity: asked for explicitly, here only.
      select: { id: true, username: true, role: true, passwordHash: true, active: true, failedLoginCount: true, lockedUntil: true },
      where: { username },
    });
    return found ?? undefined;
  }

  /**
   * Counts one failed login; the `maxFailures`-th consecutive one locks the account for
   * `lockMinutes`. A lock that has expired starts a new count (this failure is its first), so one
   * failure after the lock-out does not lock the account again. Only the row's own values are
   * read, in one statement, so concurrent failures each count once.
   */
  async recordFailure(userId: string, maxFailures: number, lockMinutes: number): Promise<void> {
    const count = 'CASE WHEN locked_until <= now() THEN 1 ELSE failed_login_count + 1 END';
    await this.users
      .createQueryBuilder()
      .update(UserEntity)
      .set({
        failedLoginCount: () => count,
        lockedUntil: () => `CASE
            WHEN (${count}) >= :maxFailures THEN now() + make_interval(mins => :lockMinutes)
            WHEN locked_until <= now() THEN NULL
            ELSE locked_until END`,
      })
      .where('id = :userId', { userId, maxFailures, lockMinutes })
      .execute();
  }

  async clearFailures(userId: string): Promise<void> {
    await this.users.update({ id: userId }, { failedLoginCount: 0, lockedUntil: null });
  }

  /** The account and its care teams, in one query (every authenticated request runs it). */
  async withMemberships(userId: string): Promise<AccountMemberships | undefined> {
    const row = await this.users
      .createQueryBuilder('u')
      .select('u.id', 'id')
      .addSelect('u.username', 'username')
      .addSelect('u.role', 'role')
      .addSelect('u.active', 'active')
      .addSelect('array_remove(array_agg(m.care_team_id::text), NULL)', 'careTeamIds')
      .leftJoin(UserCareTeamEntity, 'm', 'm.userId = u.id')
      .where('u.id = :userId', { userId })
      .groupBy('u.id')
      .getRawOne<AccountMemberships>();
    return row ?? undefined;
  }
}
