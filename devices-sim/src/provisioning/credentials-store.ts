import type { DeviceKind, PatientProfile } from '#domain';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ScenarioId } from '../scenarios/scenario-catalogue.js';

/** What --provision writes and later runs read: secrets, so the file is 0600 and under .data/ (gitignored). */
export interface SimCredentials {
  version: 1;
  apiUrl: string;
  /** Random tag in every id this file created, so several files never collide in one registry. */
  tag: string;
  careTeamId: string;
  createdAt: string;
  patients: ProvisionedPatient[];
}

export interface ProvisionedPatient {
  index: number;
  patientId: string;
  scenario: ScenarioId;
  profile: PatientProfile;
  devices: Array<{ deviceId: string; kind: DeviceKind; secret: string }>;
}

export const DEFAULT_CREDENTIALS_PATH = '.data/sim-credentials.json';

export async function readCredentials(path: string): Promise<SimCredentials | undefined> {
  if (!existsSync(path)) return undefined;
  const doc = JSON.parse(await readFile(path, 'utf8')) as SimCredentials;
  if (doc.version !== 1 || !Array.isArray(doc.patients)) throw new Error(`${path}: not a simulator credentials file`);
  return doc;
}

export async function writeCredentials(path: string, creds: SimCredentials): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  await writeFile(tmp, `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}
