import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Raw, type Repository } from 'typeorm';
import type { Tx } from '../database/transaction.js';
import type { Role } from '#domain';
import { UserCareTeamEntity, UserEntity } from '../registry/registry.entities.js';

/** What a login needs of an account, its password hash included (only here). */
export type LoginAccount = Pick<UserEntity, 'id' | 'username' | 'role' | 'passwordHash' | 'active'>;

/** An account as a request's principal: its care teams are read at every request. */
export interface AccountMemberships {
  id: string;
  username: string;
  role: Role;
  active: boolean;
  careTeamIds: string[];
}

/** The accounts' side of authentication: credentials, whether active, memberships. */
@Injectable()
export class LoginAccountRepository {
  constructor(@InjectRepository(UserEntity) private readonly users: Repository<UserEntity>) {}

  async findByUsername(username: string): Promise<LoginAccount | undefined> {
    const found = await this.users.findOne({
      // passwordHash is select: false on the entity: asked for explicitly, here only.
      select: { id: true, username: true, role: true, passwordHash: true, active: true },
      // Usernames are case-insensitive (unique index on lower(username)).
      where: { username: Raw((column) => `lower(${column}) = lower(:username)`, { username }) },
    });
    return found ?? undefined;
  }

  /** The account with this RPPS (Pro Santé Connect), active or not. */
  async findByRpps(rpps: string): Promise<Pick<LoginAccount, 'id' | 'username' | 'role' | 'active'> | undefined> {
    const found = await this.users.findOne({ select: { id: true, username: true, role: true, active: true }, where: { rpps } });
    return found ?? undefined;
  }

  async isActive(userId: string, tx: Tx): Promise<boolean> {
    const found = await tx.manager.getRepository(UserEntity).findOne({ select: { id: true, active: true }, where: { id: userId } });
    return found?.active === true;
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
