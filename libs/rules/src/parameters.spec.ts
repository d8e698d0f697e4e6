import { describe, expect, it } from '@jest/globals';
import { RULE_IDS } from '#domain';
import { defaultSettings, disablesMandatoryRule, effectiveSettings, PARAMETER_RANGES, validateOverrides, withMandatoryRules } from './parameters.js';

describe('defaults per profile', () => {
  it.each([
    ['hypercapnic', 83, 88, true],
    ['standard', 85, 92, false],
  ] as const)('%s: critical %d %%, low %d %%, high_on_o2 enabled %s', (profile, critical, low, highOnO2) => {
    const s = defaultSettings(profile);
    expect(s['spo2.critical']).toMatchObject({ threshold: critical, durationSeconds: 60, hysteresis: 1, clearSeconds: 120 });
    expect(s['spo2.low']).toMatchObject({ threshold: low, durationSeconds: 300 });
    expect(s['spo2.high_on_o2']).toMatchObject({ threshold: 97, durationSeconds: 600, enabled: highOnO2 });
    expect(s['pulse.high'].threshold).toBe(120);
    expect(s['pulse.low'].threshold).toBe(45);
    expect(s['niv.usage_variability'].maxSdHours).toBe(1.08);
  });

  it('has settings and ranges for every rule id of the contract', () => {
    expect(Object.keys(defaultSettings('standard')).sort()).toEqual([...RULE_IDS].sort());
    expect(Object.keys(PARAMETER_RANGES).sort()).toEqual([...RULE_IDS].sort());
    for (const rule of RULE_IDS) expect(Object.keys(PARAMETER_RANGES[rule]).sort()).toEqual(Object.keys(defaultSettings('standard')[rule]).sort());
  });

  it('applies overrides parameter by parameter', () => {
    const s = effectiveSettings('standard', { 'spo2.low': { threshold: 90 } });
    expect(s['spo2.low']).toMatchObject({ threshold: 90, durationSeconds: 300 });
    expect(s['spo2.critical'].threshold).toBe(85);
  });
});

describe('validateOverrides', () => {
  it.each([
    ['an empty object', {}],
    ['a lower SpO2 limit', { 'spo2.low': { threshold: 86, durationSeconds: 600 } }],
    ['nulls are ignored (reset to default)', { 'spo2.low': { threshold: null }, 'niv.leak': null }],
    ['booleans', { 'spo2.high_on_o2': { enabled: true, assumeOnOxygen: true } }],
  ])('accepts %s', (_name, raw) => {
    expect(validateOverrides('hypercapnic', raw).ok).toBe(true);
  });

  it.each([
    ['not an object', [1, 2], 'thresholds must be an object'],
    ['an unknown rule', { 'spo2.mid': {} }, 'spo2.mid: unknown rule'],
    ['an unknown parameter', { 'spo2.low': { limit: 90 } }, 'spo2.low.limit: unknown parameter'],
    ['a value out of range', { 'spo2.low': { threshold: 60 } }, 'spo2.low.threshold: must be between 75 and 98'],
    ['a string number', { 'pulse.high': { threshold: '130' } }, 'pulse.high.threshold: must be a number'],
    ['a fractional duration', { 'pulse.high': { durationSeconds: 12.5 } }, 'pulse.high.durationSeconds: must be an integer'],
    ['a non-boolean flag', { 'niv.leak': { enabled: 'yes' } }, 'niv.leak.enabled: must be a boolean'],
    ['critical above low', { 'spo2.critical': { threshold: 90 } }, 'spo2.critical.threshold must be below spo2.low.threshold'],
    ['pulse limits crossed', { 'pulse.low': { threshold: 100 }, 'pulse.high': { threshold: 90 } }, 'pulse.low.threshold must be below pulse.high.threshold'],
    ['silence warning before info', { 'device.silent': { warningAfterHours: 12 } }, 'device.silent.warningAfterHours must be above infoAfterHours'],
  ])('refuses %s', (_name, raw, error) => {
    const r = validateOverrides('hypercapnic', raw);
    expect(r.ok).toBe(false);
    expect(r.ok ? [] : r.errors).toContain(error);
  });

  // Issue 21 §4: prototype keys once found Object.prototype's members as "ranges" and passed as
  // an empty override, which then replaced the saved settings.
  it.each([
    ['__proto__ (an own key, as JSON.parse makes it)', JSON.parse('{"__proto__": {}}'), '__proto__: unknown rule'],
    ['constructor', { constructor: {} }, 'constructor: unknown rule'],
    ['toString', { toString: null }, 'toString: unknown rule'],
    ['hasOwnProperty', { hasOwnProperty: {} }, 'hasOwnProperty: unknown rule'],
    ['a prototype parameter', { 'spo2.low': JSON.parse('{"__proto__": {}, "constructor": 1}') }, 'spo2.low.__proto__: unknown parameter'],
    ['constructor as a parameter', { 'spo2.low': { constructor: 1 } }, 'spo2.low.constructor: unknown parameter'],
  ])('refuses the prototype key %s', (_name, raw, error) => {
    const r = validateOverrides('hypercapnic', raw);
    expect(r.ok).toBe(false);
    expect(r.ok ? [] : r.errors).toContain(error);
  });

  // spo2.low below spo2.high_on_o2 only where the hyperoxia rule can apply (enabled).
  it.each([
    ['standard (rule off by default): a low limit of 98 % above its 97 %', 'standard', { 'spo2.low': { threshold: 98 } }, true],
    ['standard, the rule enabled by the physician', 'standard', { 'spo2.low': { threshold: 97 }, 'spo2.high_on_o2': { enabled: true } }, false],
    ['standard, the rule enabled with a limit above the low one', 'standard', { 'spo2.low': { threshold: 96 }, 'spo2.high_on_o2': { enabled: true } }, true],
    ['hypercapnic (rule on by default): 97 % is not below 97 %', 'hypercapnic', { 'spo2.low': { threshold: 97 } }, false],
    ['hypercapnic, just below', 'hypercapnic', { 'spo2.low': { threshold: 96.9 } }, true],
    ['hypercapnic, the rule disabled', 'hypercapnic', { 'spo2.low': { threshold: 97 }, 'spo2.high_on_o2': { enabled: false } }, true],
  ] as const)('spo2.low vs spo2.high_on_o2, %s', (_name, profile, raw, ok) => {
    const r = validateOverrides(profile, raw);
    expect(r.ok ? [] : r.errors).toEqual(ok ? [] : ['spo2.low.threshold must be below spo2.high_on_o2.threshold']);
  });
});

describe('mandatory rules (device.silent while an episode is active)', () => {
  it('finds an override that switches a mandatory rule off, and only that', () => {
    expect(disablesMandatoryRule({ 'device.silent': { enabled: false } })).toEqual(['device.silent']);
    expect(disablesMandatoryRule({ 'device.silent': { enabled: true, infoAfterHours: 12 } })).toEqual([]);
    expect(disablesMandatoryRule({ 'spo2.low': { enabled: false } })).toEqual([]);
    expect(disablesMandatoryRule({})).toEqual([]);
  });

  it('runs a mandatory rule whatever was saved, keeping its other parameters and every other rule', () => {
    const saved = { 'device.silent': { enabled: false, infoAfterHours: 12 }, 'spo2.low': { enabled: false } };
    const forced = withMandatoryRules(saved);
    expect(forced).toEqual({ 'device.silent': { infoAfterHours: 12 }, 'spo2.low': { enabled: false } });
    expect(effectiveSettings('standard', forced)['device.silent']).toEqual({ enabled: true, infoAfterHours: 12, warningAfterHours: 72 });
    expect(saved['device.silent'].enabled).toBe(false); // not mutated
    const untouched = { 'spo2.low': { threshold: 90 } };
    expect(withMandatoryRules(untouched)).toBe(untouched);
  });
});
