import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Pool } from 'pg';
import { randomBytes } from 'node:crypto';
import { hashSecret } from '../auth/password.js';
import { PG_POOL } from '../database/database.module.js';
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

  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async seed(): Promise<DemoSeedResult> {
    const users = await Promise.all(DEMO_USERS.map(async (u) => ({ ...u, password: secret() })));
    const hashes = await Promise.all(users.map((u) => hashSecret(u.password)));
    const devices = DEMO_PATIENTS.flatMap((p) => p.devices.map((d) => ({ ...d, patient: p, secret: secret() })));
    const deviceHashes = await Promise.all(devices.map((d) => hashSecret(d.secret)));

    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // Several api processes may start in demo mode at once: one seeds, the others wait.
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('tm-demo-seed'))`);
      const team = await client.query<{ id: string }>(
        `INSERT INTO care_teams (name) VALUES ($1) ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
        [DEMO_TEAM],
      );
      const careTeamId = team.rows[0]!.id;
      for (const [i, u] of users.entries()) {
        const row = await client.query<{ id: string }>(
          `INSERT INTO users (username, password_hash, role, display_name) VALUES ($1, $2, $3, $4)
           ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash, role = EXCLUDED.role,
             active = true, failed_login_count = 0, locked_until = NULL
           RETURNING id`,
          [u.username, hashes[i], u.role, u.displayName],
        );
        if (u.inTeam) {
          await client.query(`INSERT INTO user_care_teams (user_id, care_team_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [row.rows[0]!.id, careTeamId]);
        }
      }
      const patientIds = new Map<string, string>();
      for (const p of DEMO_PATIENTS) {
        const existing = await client.query<{ id: string }>(`SELECT id FROM patients WHERE care_team_id = $1 AND display_name = $2`, [careTeamId, p.displayName]);
        const id =
          existing.rows[0]?.id ??
          (
            await client.query<{ id: string }>(`INSERT INTO patients (display_name, profile, care_team_id) VALUES ($1, $2, $3) RETURNING id`, [
              p.displayName,
              p.profile,
              careTeamId,
            ])
          ).rows[0]!.id;
        patientIds.set(p.displayName, id);
      }
      for (const [i, d] of devices.entries()) {
        await client.query(
          `INSERT INTO devices (device_id, kind, patient_id, secret_hash) VALUES ($1, $2, $3, $4)
           ON CONFLICT (device_id) DO UPDATE SET kind = EXCLUDED.kind, patient_id = EXCLUDED.patient_id, secret_hash = EXCLUDED.secret_hash, active = true`,
          [d.deviceId, d.kind, patientIds.get(d.patient.displayName), deviceHashes[i]],
        );
      }
      await client.query('COMMIT');
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
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
}
