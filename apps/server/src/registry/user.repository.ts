import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type EntityManager, type Repository } from 'typeorm';
import type { Role } from '#domain';
import type { Tx } from '../database/transaction.js';
import { UserCareTeamEntity, UserEntity } from './registry.entities.js';
import type { UserView } from './registry.views.js';

export interface NewUser {
  username: string;
  passwordHash: string;
  role: Role;
  displayName: string | null;
  rpps: string | null;
}

/** What PATCH /api/users/:id changes on the account's row. */
export interface UserChanges {
  role?: Role;
  rpps?: string | null;
}

/** Professionals' accounts and their care-team memberships. Never selects the password hash. */
@Injectable()
export class UserRepository {
  constructor(@InjectRepository(UserEntity) private readonly users: Repository<UserEntity>) {}

  async insert(user: NewUser, tx: Tx): Promise<string> {
    const { identifiers } = await tx.manager.getRepository(UserEntity).insert({ ...user });
    return (identifiers[0] as { id: string }).id;
  }

  async replaceCareTeams(userId: string, careTeamIds: string[], tx: Tx): Promise<void> {
    const memberships = tx.manager.getRepository(UserCareTeamEntity);
    await memberships.delete({ userId });
    if (careTeamIds.length > 0) await memberships.insert(careTeamIds.map((careTeamId) => ({ userId, careTeamId })));
  }

  /** Locks the row for the rest of the transaction; undefined when there is no such user. */
  async lockForUpdate(userId: string, tx: Tx): Promise<{ role: Role; active: boolean; rpps: string | null; careTeamIds: string[] } | undefined> {
    const found = await tx.manager.getRepository(UserEntity).findOne({
      select: { role: true, active: true, rpps: true },
      where: { id: userId },
      lock: { mode: 'pessimistic_write' },
    });
    if (!found) return undefined;
    const memberships = await tx.manager.getRepository(UserCareTeamEntity).find({ where: { userId }, order: { careTeamId: 'ASC' } });
    return { role: found.role, active: found.active, rpps: found.rpps, careTeamIds: memberships.map((m) => m.careTeamId) };
  }

  async update(userId: string, changes: UserChanges, tx: Tx): Promise<void> {
    if (Object.keys(changes).length > 0) await tx.manager.getRepository(UserEntity).update({ id: userId }, changes);
  }

  /** Deactivates, or reactivates and clears any lock-out. */
  async setActive(userId: string, active: boolean, tx: Tx): Promise<void> {
    await tx.manager
      .getRepository(UserEntity)
      .update({ id: userId }, active ? { active: true, failedLoginCount: 0, lockedUntil: null } : { active: false });
  }

  async view(userId: string, tx?: Tx): Promise<UserView | undefined> {
    const manager = tx?.manager ?? this.users.manager;
    return (await this.views(manager, await manager.find(UserEntity, { where: { id: userId } })))[0];
  }

  async list(): Promise<UserView[]> {
    return this.views(this.users.manager, await this.users.find({ order: { username: 'ASC' } }));
  }

  /** The users as the registry shows them: their care teams (in id order) and whether they are locked out now. */
  private async views(manager: EntityManager, users: UserEntity[]): Promise<UserView[]> {
    if (users.length === 0) return [];
    const memberships = await manager.find(UserCareTeamEntity, {
      where: { userId: In(users.map((u) => u.id)) },
      order: { careTeamId: 'ASC' },
    });
    const teamsOf = new Map<string, string[]>();
    for (const m of memberships) teamsOf.set(m.userId, [...(teamsOf.get(m.userId) ?? []), m.careTeamId]);
    const now = Date.now();
    return users.map((u) => ({
      id: u.id,
      username: u.username,
      role: u.role,
      displayName: u.displayName,
      rpps: u.rpps,
      active: u.active,
      locked: u.lockedUntil !== null && u.lockedUntil.getTime() > now,
      careTeamIds: teamsOf.get(u.id) ?? [],
      createdAt: u.createdAt,
    }));
  }
}
