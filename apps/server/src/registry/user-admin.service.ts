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
    this.checkAdminHasNoRpps(input.role, input.rpps ?? null);
    const passwordHash = await hashSecret(input.password);
    return this.transactions.run(async (tx) => {
      await this.requireTeams(careTeamIds, tx);
      const id = await this.users
        .insert(
          { username: input.username, passwordHash, role: input.role, displayName: input.displayName ?? null, rpps: input.rpps ?? null },
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
          details: { role: input.role, careTeamIds, withRpps: input.rpps !== undefined },
        },
        tx,
      );
      return (await this.users.view(id, tx))!;
    });
  }

  /**
   * PATCH /api/users/:id (CONTRACT §8): care teams, role, RPPS, active. The principal is read from
   * the database at every request (AuthService.verifyAccess), so a role or team change applies to
   * the next request; deactivation also revokes every refresh token in the same transaction and,
   * after the commit, closes the user's open consoles.
   */
  async update(principal: Principal, userId: string, input: UpdateUserDto): Promise<UserView> {
    const fields = (['active', 'careTeamIds', 'role', 'rpps'] as const).filter((k) => input[k] !== undefined);
    if (fields.length === 0) throw AppError.validation('nothing to change: give active, careTeamIds, role and/or rpps');
    if (!isUuid(userId)) throw AppError.notFound('user');
    if (input.active === false && userId === principal.userId) {
      throw new AppError('CONFLICT', 'you cannot deactivate your own account');
    }
    if (input.role !== undefined && input.role !== principal.role && userId === principal.userId) {
      throw new AppError('CONFLICT', 'you cannot change your own role');
    }
    let changed = false;
    const view = await this.transactions.run(async (tx) => {
      const current = await this.users.lockForUpdate(userId, tx);
      if (!current) throw AppError.notFound('user');
      const role = input.role ?? current.role;
      const careTeamIds = input.careTeamIds ?? current.careTeamIds;
      const rpps = input.rpps !== undefined ? input.rpps : current.rpps;
      this.checkAdminHasNoTeams(role, careTeamIds);
      this.checkAdminHasNoRpps(role, rpps);
      if (input.careTeamIds !== undefined) {
        await this.requireTeams(input.careTeamIds, tx);
        await this.users.replaceCareTeams(userId, input.careTeamIds, tx);
      }
      await this.users
        .update(userId, { ...(input.role !== undefined ? { role } : {}), ...(input.rpps !== undefined ? { rpps } : {}) }, tx)
        .catch(mapDatabaseError);
      if (input.active !== undefined) await this.users.setActive(userId, input.active, tx);
      // A deactivated user's logins end with the change: no refresh token of theirs works after the commit.
      if (input.active === false) await this.sessions.revokeUser(userId, tx);
      changed = role !== current.role || careTeamIds.join() !== current.careTeamIds.join();
      await this.audit.record(
        {
          action: 'registry.user.update',
          actor: actorOf(principal),
          targetType: 'user',
          targetId: userId,
          details: {
            fields,
            ...(input.active !== undefined ? { active: input.active } : {}),
            ...(input.careTeamIds ? { careTeamIds: input.careTeamIds, careTeamIdsBefore: current.careTeamIds } : {}),
            ...(input.role !== undefined ? { role, roleBefore: current.role } : {}),
            ...(input.rpps !== undefined ? { rppsChanged: rpps !== current.rpps } : {}),
          },
        },
        tx,
      );
      return (await this.users.view(userId, tx))!;
    });
    // After the commit: open consoles of this process close (or follow the change) now, others within their re-check period.
    if (input.active === false) await this.accountEvents.publish({ type: 'deactivated', userId });
    else if (changed) await this.accountEvents.publish({ type: 'changed', userId });
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

  /** The RPPS identifies a health professional: an admin has none (also a CHECK in the database). */
  private checkAdminHasNoRpps(role: string, rpps: string | null): void {
    if (role === 'admin' && rpps !== null) {
      throw AppError.validation('an admin has no RPPS number', { fields: ['rpps'] });
    }
  }

  private async requireTeams(ids: string[], tx: Tx): Promise<void> {
    const missing = await this.teams.missing(ids, tx);
    if (missing.length > 0) throw AppError.validation('careTeamIds: no such care team', { fields: ['careTeamIds'], missing });
  }
}
