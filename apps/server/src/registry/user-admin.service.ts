import { Injectable } from '@nestjs/common';
import { AuditService, actorOf } from '../audit/audit.service.js';
import { hashSecret } from '../auth/password.js';
import { checkPasswordStrength } from '../auth/password-strength.js';
import { RefreshTokenService } from '../auth/refresh-token.service.js';
import type { Principal } from '../auth/principal.js';
import { isUuid } from '../access/patient-access.service.js';
import { AppError } from '../common/app-error.js';
import { mapDatabaseError } from '../database/database-errors.js';
import { TransactionRunner, type Tx } from '../database/transaction.js';
import { UserAccountEvents } from '../events/user-account-events.js';
import { CareTeamRepository } from './care-team.repository.js';
import type { CreateUserDto, UpdateUserDto } from './registry.dto.js';
import type { UserView } from './registry.views.js';
import { UserRepository } from './user.repository.js';

/** Professionals' accounts, managed by an admin. */
@Injectable()
export class UserAdminService {
  constructor(
    private readonly transactions: TransactionRunner,
    private readonly users: UserRepository,
    private readonly teams: CareTeamRepository,
    private readonly audit: AuditService,
    private readonly sessions: RefreshTokenService,
    private readonly accountEvents: UserAccountEvents,
  ) {}

  async create(principal: Principal, input: CreateUserDto): Promise<UserView> {
    const careTeamIds = input.careTeamIds ?? [];
    if (input.password.toLowerCase().includes(input.username.toLowerCase())) {
      throw AppError.validation('password must not contain the username', { fields: ['password'] });
    }
    // Issue 21: length alone let `aaaaaaaaaaaa` and `password123456` through.
    const strength = checkPasswordStrength(input.password, [input.username, ...(input.displayName ? [input.displayName] : [])]);
    if (!strength.ok) {
      throw new AppError('WEAK_PASSWORD', 'password too easy to guess: use a longer passphrase of unrelated words', {
        fields: ['password'],
        score: strength.score,
      });
    }
    this.checkAdminHasNoTeams(input.role, careTeamIds);
    const passwordHash = await hashSecret(input.password);
    return this.transactions.run(async (tx) => {
      await this.requireTeams(careTeamIds, tx);
      const id = await this.users
        .insert(
          { username: input.username, passwordHash, role: input.role, displayName: input.displayName ?? null, nationalId: input.nationalId ?? null },
          tx,
        )
        .catch(mapDatabaseError);
      await this.users.replaceCareTeams(id, careTeamIds, tx);
      await this.audit.record(
        {
          action: 'registry.user.create',
          actor: actorOf(principal),
          targetType: 'user',
          targetId: id,
          details: { role: input.role, careTeamIds },
        },
        tx,
      );
      return (await this.users.view(id, tx))!;
    });
  }

  async update(principal: Principal, userId: string, input: UpdateUserDto): Promise<UserView> {
    if (input.active === undefined && input.careTeamIds === undefined) {
      throw AppError.validation('nothing to change: give active and/or careTeamIds');
    }
    if (!isUuid(userId)) throw AppError.notFound('user');
    if (input.active === false && userId === principal.userId) {
      throw new AppError('CONFLICT', 'you cannot deactivate your own account');
    }
    const view = await this.transactions.run(async (tx) => {
      const current = await this.users.lockForUpdate(userId, tx);
      if (!current) throw AppError.notFound('user');
      if (input.careTeamIds !== undefined) {
        this.checkAdminHasNoTeams(current.role, input.careTeamIds);
        await this.requireTeams(input.careTeamIds, tx);
        await this.users.replaceCareTeams(userId, input.careTeamIds, tx);
      }
      if (input.active !== undefined) await this.users.setActive(userId, input.active, tx);
      // A deactivated user's logins end with the change: no refresh token of theirs works after the commit.
      if (input.active === false) await this.sessions.revokeUser(userId, tx);
      await this.audit.record(
        {
          action: 'registry.user.update',
          actor: actorOf(principal),
          targetType: 'user',
          targetId: userId,
          details: { ...(input.active !== undefined ? { active: input.active } : {}), ...(input.careTeamIds ? { careTeamIds: input.careTeamIds } : {}) },
        },
        tx,
      );
      return (await this.users.view(userId, tx))!;
    });
    // After the commit: open consoles of this process close now (others within their re-check period).
    if (input.active === false) await this.accountEvents.publish({ type: 'deactivated', userId });
    return view;
  }

  list(): Promise<UserView[]> {
    return this.users.list();
  }

  /** Admins manage the registry and see no patient data through care teams. */
  private checkAdminHasNoTeams(role: string, careTeamIds: string[]): void {
    if (role === 'admin' && careTeamIds.length > 0) {
      throw AppError.validation('an admin belongs to no care team', { fields: ['careTeamIds'] });
    }
  }

  private async requireTeams(ids: string[], tx: Tx): Promise<void> {
    const missing = await this.teams.missing(ids, tx);
    if (missing.length > 0) throw AppError.validation('careTeamIds: no such care team', { fields: ['careTeamIds'], missing });
  }
}
