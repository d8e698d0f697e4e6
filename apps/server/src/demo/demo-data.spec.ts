import { describe, expect, it } from '@jest/globals';
import { SCENARIOS } from '#devices-sim';
import { DEMO_PATIENTS, DEMO_USERS } from './demo-data.js';

describe('demo data', () => {
  it('uses only scenarios the simulator knows', () => {
    for (const p of DEMO_PATIENTS) expect(Object.keys(SCENARIOS)).toContain(p.scenario);
  });

  it('has unique, registry-valid device ids and one team member per clinical role', () => {
    const ids = DEMO_PATIENTS.flatMap((p) => p.devices.map((d) => d.deviceId));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{3,64}$/);
    expect(DEMO_USERS.filter((u) => u.inTeam).map((u) => u.role).sort()).toEqual(['nurse', 'physician']);
  });

  it('includes at least one scenario that raises a critical alert', () => {
    expect(DEMO_PATIENTS.map((p) => p.scenario)).toContain('critical-drop');
  });
});
