import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { hashSecret } from '../apps/server/src/auth/password.js';

export interface BenchPopulation {
  teamId: string;
  nurse: { id: string; username: string; password: string };
  physician: { id: string; username: string; password: string };
  /** Devices of the load (standard profile: the load's values raise nothing). */
  loadDevices: Array<{ deviceId: string; patientId: string }>;
  /** Devices of the capacity phase (others than the load's: their clocks would overlap). */
  capacityDevices: Array<{ deviceId: string; patientId: string }>;
  /** Oximeters that desaturate during the load (hypercapnic profile: spo2.critical at ≤ 83 % for 60 s). */
  alertDevices: Array<{ deviceId: string; patientId: string }>;
  /** The patient whose 30 days of 1 Hz oximetry the trend query reads. */
  trendPatient: { patientId: string; deviceId: string };
}

/**
 * Provisions the run's care team, users, patients and devices directly in SQL (thousands of
 * REST calls would take minutes on this machine and measure nothing the bench reports). The
 * bench broker is anonymous, so device secrets are never used: all share one hash.
 */
export async function provision(url: string, counts: { load: number; capacity: number; alert: number }): Promise<BenchPopulation> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    const run = randomBytes(3).toString('hex');
    const team = (await pool.query<{ id: string }>(`INSERT INTO care_teams (name) VALUES ($1) RETURNING id`, [`bench-${run}`])).rows[0]!;
    const user = async (role: 'nurse' | 'physician') => {
      const username = `bench-${role}-${run}`;
      const password = randomBytes(18).toString('base64url');
      const { rows } = await pool.query<{ id: string }>(
        `INSERT INTO users (username, password_hash, role) VALUES ($1, $2, $3) RETURNING id`,
        [username, await hashSecret(password), role],
      );
      await pool.query(`INSERT INTO user_care_teams (user_id, care_team_id) VALUES ($1, $2)`, [rows[0]!.id, team.id]);
      return { id: rows[0]!.id, username, password };
    };
    const nurse = await user('nurse');
    const physician = await user('physician');
    const secretHash = await hashSecret(randomBytes(16).toString('hex'));
    const devices = async (prefix: string, count: number, profile: 'standard' | 'hypercapnic') => {
      if (count === 0) return [];
      const { rows } = await pool.query<{ id: string }>(
        `INSERT INTO patients (display_name, profile, care_team_id)
         SELECT 'Bench ' || $1 || '-' || i, $2, $3 FROM generate_series(1, $4::int) AS i RETURNING id`,
        [prefix, profile, team.id, count],
      );
      // Under telemonitoring: the rules run only for patients with an active episode.
      await pool.query(
        `INSERT INTO episodes (patient_id, indication, prescriber_id, start_date) SELECT p, 'niv', $2, current_date FROM unnest($1::uuid[]) AS p`,
        [rows.map((r) => r.id), physician.id],
      );
      const ids = rows.map((_, i) => `${prefix}-${run}-${String(i + 1).padStart(5, '0')}`);
      await pool.query(
        `INSERT INTO devices (device_id, kind, patient_id, secret_hash)
         SELECT d, 'oximeter', p, $3 FROM unnest($1::text[], $2::uuid[]) AS u(d, p)`,
        [ids, rows.map((r) => r.id), secretHash],
      );
      return ids.map((deviceId, i) => ({ deviceId, patientId: rows[i]!.id }));
    };
    const loadDevices = await devices('BL', counts.load, 'standard');
    const capacityDevices = await devices('BC', counts.capacity, 'standard');
    const alertDevices = await devices('BA', counts.alert, 'hypercapnic');
    const [trend] = await devices('BT', 1, 'hypercapnic');
    return { teamId: team.id, nurse, physician, loadDevices, capacityDevices, alertDevices, trendPatient: trend! };
  } finally {
    await pool.end();
  }
}
