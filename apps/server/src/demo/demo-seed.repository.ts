import { Injectable } from '@nestjs/common';
import type { DeviceKind, PatientProfile, Role } from '#domain';
import type { Tx } from '../database/transaction.js';
import { CareTeamEntity, DeviceEntity, PatientEntity, UserCareTeamEntity, UserEntity } from '../registry/registry.entities.js';

/** Arbitrary key (hashed by PostgreSQL) of the lock that serialises demo seeding across processes. */
const SEED_LOCK = 'tm-demo-seed';

function idOf(identifiers: Array<Record<string, unknown>>): string {
  return (identifiers[0] as { id: string }).id;
}

/**
 * The demo's rows, written idempotently (same rows at every start): every method runs in the
 * seeding transaction, after `lock`.
 */
@Injectable()
export class DemoSeedRepository {
  /** Several api processes may start in demo mode at once: one seeds, the others wait here. */
  async lock(tx: Tx): Promise<void> {
    await tx.manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [SEED_LOCK]);
  }

  /** The care team's id, created if absent. */
  async upsertCareTeam(name: string, tx: Tx): Promise<string> {
    const { identifiers } = await tx.manager
      .createQueryBuilder()
      .insert()
      .into(CareTeamEntity)
      .values({ name })
      // DO UPDATE, not DO NOTHING: the statement returns the existing row's id.
      .orUpdate(['name'], ['name'])
      .execute();
    return idOf(identifiers);
  }

  /** The user's id; an existing one gets the new password and role, and is active and unlocked. */
  async upsertUser(user: { username: string; passwordHash: string; role: Role; displayName: string }, tx: Tx): Promise<string> {
    const { identifiers } = await tx.manager
      .createQueryBuilder()
      .insert()
      .into(UserEntity)
      .values({ ...user, active: true, failedLoginCount: 0, lockedUntil: null })
      .orUpdate(['password_hash', 'role', 'active', 'failed_login_count', 'locked_until'], ['username'])
      .execute();
    return idOf(identifiers);
  }

  async addMember(userId: string, careTeamId: string, tx: Tx): Promise<void> {
    await tx.manager.createQueryBuilder().insert().into(UserCareTeamEntity).values({ userId, careTeamId }).orIgnore().execute();
  }

  /** The patient of that name in the team, created if absent (patients have no natural key). */
  async findOrCreatePatient(patient: { displayName: string; profile: PatientProfile; careTeamId: string }, tx: Tx): Promise<string> {
    const patients = tx.manager.getRepository(PatientEntity);
    const existing = await patients.findOne({ select: { id: true }, where: { careTeamId: patient.careTeamId, displayName: patient.displayName } });
    return existing?.id ?? idOf((await patients.insert({ ...patient })).identifiers);
  }

  /** The device, (re)assigned to the patient with the new secret, and active. */
  async upsertDevice(device: { deviceId: string; kind: DeviceKind; patientId: string; secretHash: string }, tx: Tx): Promise<void> {
    await tx.manager
      .createQueryBuilder()
      .insert()
      .into(DeviceEntity)
      .values({ ...device, active: true })
      .orUpdate(['kind', 'patient_id', 'secret_hash', 'active'], ['device_id'])
      .execute();
  }
}
