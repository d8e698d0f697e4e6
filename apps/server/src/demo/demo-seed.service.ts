import { Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { hashSecret } from '../auth/password.js';
import { TransactionRunner } from '../database/transaction.js';
import { DemoSeedRepository } from './demo-seed.repository.js';
import { DEMO_PATIENTS, DEMO_TEAM, DEMO_USERS, type DemoDevice } from './demo-data.js';

export interface DemoSeedResult {
  careTeamId: string;
  /** Demo users and their passwords, generated at this start (only hashes are stored). */
  credentials: Array<{ username: string; role: string; password: string }>;
  devices: DemoDevice[];
}

const secret = () => randomBytes(12).toString('base64url');

/**
 * Seeds the demo care team, users, patients and devices, idempotently (same rows at every start).
 * Passwords and device secrets are regenerated at every start and printed once: the database
 * stores only their argon2 hashes, so there is nothing to recover later.
 */
@Injectable()
export class DemoSeedService {
  private readonly logger = new Logger('Demo');

  constructor(
    private readonly transactions: TransactionRunner,
    private readonly rows: DemoSeedRepository,
  ) {}

  async seed(): Promise<DemoSeedResult> {
    const users = await Promise.all(DEMO_USERS.map(async (u) => ({ ...u, password: secret() })));
    const hashes = await Promise.all(users.map((u) => hashSecret(u.password)));
    const devices = DEMO_PATIENTS.flatMap((p) => p.devices.map((d) => ({ ...d, patient: p, secret: secret() })));
    const deviceHashes = await Promise.all(devices.map((d) => hashSecret(d.secret)));

    const { careTeamId, patientIds } = await this.transactions.run(async (tx) => {
      await this.rows.lock(tx);
      const careTeamId = await this.rows.upsertCareTeam(DEMO_TEAM, tx);
      for (const [i, u] of users.entries()) {
        const userId = await this.rows.upsertUser({ username: u.username, passwordHash: hashes[i]!, role: u.role, displayName: u.displayName }, tx);
        if (u.inTeam) await this.rows.addMember(userId, careTeamId, tx);
      }
      const patientIds = new Map<string, string>();
      for (const p of DEMO_PATIENTS) {
        patientIds.set(p.displayName, await this.rows.findOrCreatePatient({ displayName: p.displayName, profile: p.profile, careTeamId }, tx));
      }
      for (const [i, d] of devices.entries()) {
        await this.rows.upsertDevice({ deviceId: d.deviceId, kind: d.kind, patientId: patientIds.get(d.patient.displayName)!, secretHash: deviceHashes[i]! }, tx);
      }
      return { careTeamId, patientIds };
    });
    this.logger.log({ careTeamId, patients: patientIds.size, devices: devices.length }, 'demo data seeded');
    return {
      careTeamId,
      credentials: users.map((u) => ({ username: u.username, role: u.role, password: u.password })),
      devices: devices.map((d) => ({
        deviceId: d.deviceId,
        secret: d.secret,
        kind: d.kind,
        patientId: patientIds.get(d.patient.displayName)!,
        profile: d.patient.profile,
        scenario: d.patient.scenario,
      })),
    };
  }
}
