import type { DeviceKind } from '#domain';
import { randomBytes } from 'node:crypto';
import { devicesFor, type PatientPlan } from '../scenarios/scenario-catalogue.js';
import type { ProvisionedPatient, SimCredentials } from './credentials-store.js';
import { RestClient } from './rest-client.js';

export interface ProvisionOptions {
  apiUrl: string;
  /** An admin's access token, or an admin's username and password. */
  adminToken?: string;
  adminUsername?: string;
  adminPassword?: string;
  plans: PatientPlan[];
  /** Reuse these credentials where they fit (same API, same scenario and profile at that index). */
  existing?: SimCredentials;
  careTeamName?: string;
  /** Only the device kinds given (load mode: oximeters only). */
  kinds?: DeviceKind[];
  log?: (message: string) => void;
}

const KIND_PREFIX: Record<DeviceKind, string> = { oximeter: 'OX', ventilator: 'VE', concentrator: 'OC' };

/**
 * Registers the simulated patients and their devices through the admin REST API
 * (POST /api/care-teams, /api/patients, /api/devices; an active episode for each new patient,
 * prescribed by a physician of the care team: POST /api/users, /api/patients/:id/episodes) and
 * returns the credentials to keep.
 * Patients already in `existing` with the same scenario and profile are reused as they are.
 */
export async function provision(o: ProvisionOptions): Promise<SimCredentials> {
  const api = new RestClient(o.apiUrl, o.adminToken);
  if (!api.hasToken) {
    if (!o.adminUsername || !o.adminPassword) throw new Error('provisioning needs --admin-token, or --admin-user and --admin-password');
    await api.login(o.adminUsername, o.adminPassword);
  }
  const reuse = o.existing && o.existing.apiUrl === api.baseUrl ? o.existing : undefined;
  const tag = reuse?.tag ?? randomBytes(3).toString('hex');
  let careTeamId = reuse?.careTeamId;
  if (!careTeamId) {
    const team = await api.request<{ id: string }>('POST', '/api/care-teams', { name: o.careTeamName ?? `Simulator ${tag}` });
    careTeamId = team.id;
    o.log?.(`care team ${careTeamId} created`);
  }
  // The rules run only for patients under telemonitoring (CONTRACT.md §6): each new patient gets
  // an active episode, prescribed by a physician of the simulator's care team created for this run.
  let prescriber: { id: string; client: RestClient } | undefined;
  const teamId = careTeamId;
  const prescribe = async (patientId: string) => {
    if (!prescriber) {
      const username = `sim-prescriber-${tag}-${randomBytes(3).toString('hex')}`;
      const password = randomBytes(24).toString('base64url');
      const user = await api.request<{ id: string }>('POST', '/api/users', { username, password, role: 'physician', careTeamIds: [teamId], displayName: 'Simulator prescriber' });
      const client = new RestClient(api.baseUrl);
      await client.login(username, password);
      prescriber = { id: user.id, client };
    }
    // Yesterday (UTC): never after today in the patient's zone.
    const startDate = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    await prescriber.client.request('POST', `/api/patients/${patientId}/episodes`, {
      indication: 'niv', // the simulator's patients are in chronic respiratory failure under NIV
      prescriberId: prescriber.id,
      startDate,
    });
  };
  const kept = new Map<number, ProvisionedPatient>();
  for (const p of reuse?.patients ?? []) kept.set(p.index, p);
  const patients: ProvisionedPatient[] = [];
  let created = 0;
  for (const plan of o.plans) {
    const kinds = devicesFor(plan).filter((k) => !o.kinds || o.kinds.includes(k));
    const old = kept.get(plan.index);
    if (old && old.scenario === plan.scenario && old.profile === plan.profile && kinds.every((k) => old.devices.some((d) => d.kind === k))) {
      patients.push(old);
      continue;
    }
    const n = String(plan.index).padStart(4, '0');
    const patient = await api.request<{ id: string }>('POST', '/api/patients', {
      displayName: `Sim ${n} (${plan.scenario})`,
      careTeamId,
      profile: plan.profile,
    });
    await prescribe(patient.id);
    const devices: ProvisionedPatient['devices'] = [];
    for (const kind of kinds) {
      // a fresh suffix each time: a re-provisioned index never collides with its predecessor
      const deviceId = `SIM-${tag}-${KIND_PREFIX[kind]}-${n}-${randomBytes(2).toString('hex')}`;
      const res = await api.request<{ deviceId: string; secret: string }>('POST', '/api/devices', { deviceId, kind, patientId: patient.id });
      devices.push({ deviceId: res.deviceId, kind, secret: res.secret });
    }
    patients.push({ index: plan.index, patientId: patient.id, scenario: plan.scenario, profile: plan.profile, devices });
    created++;
  }
  // keep patients of a previous, larger run too (a later --patients 50 reuses them)
  for (const [index, p] of kept) if (!patients.some((x) => x.index === index)) patients.push(p);
  patients.sort((a, b) => a.index - b.index);
  o.log?.(`provisioned ${created} new patient(s), reused ${o.plans.length - created}`);
  return { version: 1, apiUrl: api.baseUrl, tag, careTeamId, createdAt: reuse?.createdAt ?? new Date().toISOString(), patients };
}
