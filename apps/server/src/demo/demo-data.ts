import type { DeviceKind, PatientProfile, Role } from '#domain';

/** Scenario names of devices-sim (its scenario catalogue), so its launcher can take these devices as they are. */
export type DemoScenario = 'critical-drop' | 'sustained-hypoxaemia' | 'tachycardia' | 'stable' | 'poor-adherence' | 'oxygen-underuse';

export const DEMO_TEAM = 'Demo team';

export const DEMO_USERS: ReadonlyArray<{ username: string; role: Role; displayName: string; inTeam: boolean }> = [
  { username: 'nurse.demo', role: 'nurse', displayName: 'Demo nurse', inTeam: true },
  { username: 'dr.demo', role: 'physician', displayName: 'Demo physician', inTeam: true },
  { username: 'admin.demo', role: 'admin', displayName: 'Demo administrator', inTeam: false },
];

/** Fictional patients. Each scenario is chosen to raise its alert within the first minute. */
export const DEMO_PATIENTS: ReadonlyArray<{
  displayName: string;
  profile: PatientProfile;
  scenario: DemoScenario;
  devices: ReadonlyArray<{ deviceId: string; kind: DeviceKind }>;
}> = [
  {
    displayName: 'Jeanne Martin (demo)',
    profile: 'hypercapnic',
    scenario: 'critical-drop',
    devices: [
      { deviceId: 'OX-DEMO-01', kind: 'oximeter' },
      { deviceId: 'VE-DEMO-01', kind: 'ventilator' },
    ],
  },
  { displayName: 'Paul Bernard (demo)', profile: 'standard', scenario: 'sustained-hypoxaemia', devices: [{ deviceId: 'OX-DEMO-02', kind: 'oximeter' }] },
  { displayName: 'Louise Petit (demo)', profile: 'hypercapnic', scenario: 'tachycardia', devices: [{ deviceId: 'OX-DEMO-03', kind: 'oximeter' }] },
  { displayName: 'André Durand (demo)', profile: 'standard', scenario: 'stable', devices: [{ deviceId: 'OX-DEMO-04', kind: 'oximeter' }] },
  {
    displayName: 'Camille Moreau (demo)',
    profile: 'hypercapnic',
    scenario: 'poor-adherence',
    devices: [
      { deviceId: 'OX-DEMO-05', kind: 'oximeter' },
      { deviceId: 'VE-DEMO-05', kind: 'ventilator' },
    ],
  },
  {
    // Long-term oxygen, under-used: o2.adherence from the history uploaded at start.
    displayName: 'Hélène Lefèvre (demo)',
    profile: 'hypercapnic',
    scenario: 'oxygen-underuse',
    devices: [
      { deviceId: 'OX-DEMO-06', kind: 'oximeter' },
      { deviceId: 'OC-DEMO-06', kind: 'concentrator' },
    ],
  },
];

/** A seeded device with its freshly issued MQTT secret (held in memory only). */
export interface DemoDevice {
  deviceId: string;
  secret: string;
  kind: DeviceKind;
  patientId: string;
  profile: PatientProfile;
  scenario: DemoScenario;
}
