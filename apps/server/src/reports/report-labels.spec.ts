import { describe, expect, it } from '@jest/globals';
import { defaultSettings, effectiveSettings } from '#rules';
import { changedRules, dateTime, ruleSettingsText } from './report-labels.js';

describe('report labels', () => {
  it('lists only the rules a change touched, before and after in clinical words', () => {
    const before = defaultSettings('hypercapnic');
    const after = effectiveSettings('hypercapnic', { 'spo2.low': { threshold: 86 }, 'niv.leak': { enabled: false } });
    const changes = changedRules(before, after);
    expect(changes.map((c) => c.rule)).toEqual(['spo2.low', 'niv.leak']);
    expect(changes[0]!.before).toContain(`limit ${before['spo2.low'].threshold}`);
    expect(changes[0]!.after).toContain('limit 86');
    expect(changes[1]!.after).toBe('off');
    expect(changedRules(before, before)).toEqual([]);
  });

  it('says the settings of a rule without raw field names', () => {
    expect(ruleSettingsText({ enabled: true, threshold: 88, durationSeconds: 120 })).toBe('limit 88, for (s) 120');
    expect(ruleSettingsText({ enabled: false, threshold: 88 })).toBe('off');
  });

  it.each([
    ['2026-11-15T13:05:00Z', 'Europe/Paris', '15/11/2026 14:05'],
    ['2026-07-15T13:05:00Z', 'Europe/Paris', '15/07/2026 15:05'],
    ['2026-11-15T23:30:00Z', 'Pacific/Auckland', '16/11/2026 12:30'],
  ])('%s in %s is %s', (iso, zone, text) => {
    expect(dateTime(iso, zone)).toBe(text);
  });
});
