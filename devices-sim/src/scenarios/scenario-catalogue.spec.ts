import { describe, expect, it } from '@jest/globals';
import { RULE_IDS } from '#domain';
import { assignScenarios, devicesFor, MIXED_ROTATION, SCENARIO_IDS, SCENARIOS } from './scenario-catalogue.js';

describe('scenario catalogue', () => {
  it('names only known rules, and every rule is tripped by some scenario', () => {
    const tripped = new Set(SCENARIO_IDS.flatMap((s) => SCENARIOS[s].expectedRules));
    for (const r of tripped) expect(RULE_IDS).toContain(r);
    for (const r of RULE_IDS) expect(tripped).toContain(r);
  });

  it('mixed is mostly stable, covers every scenario, and alternates stable profiles', () => {
    expect(new Set(MIXED_ROTATION)).toEqual(new Set(SCENARIO_IDS));
    const plans = assignScenarios(50, 'mixed');
    expect(plans.filter((p) => p.scenario === 'stable').length).toBeGreaterThanOrEqual(15);
    const stableProfiles = plans.filter((p) => p.scenario === 'stable').map((p) => p.profile);
    expect(new Set(stableProfiles)).toEqual(new Set(['hypercapnic', 'standard']));
    expect(assignScenarios(3, 'mask-leak').map((p) => p.scenario)).toEqual(['mask-leak', 'mask-leak', 'mask-leak']);
  });

  it('gives standard-profile patients no ventilator', () => {
    expect(devicesFor({ index: 0, scenario: 'stable', profile: 'standard' })).toEqual(['oximeter']);
    expect(devicesFor({ index: 0, scenario: 'stable', profile: 'hypercapnic' })).toEqual(['oximeter', 'ventilator']);
  });
});
