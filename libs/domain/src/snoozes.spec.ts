import { describe, expect, it } from '@jest/globals';
import { isRuleSnoozed, validateSnoozeRequest } from './snoozes.js';

const now = Date.parse('2026-12-08T00:00:00Z');
const inHours = (h: number) => new Date(now + h * 3_600_000).toISOString();

describe('validateSnoozeRequest', () => {
  it('accepts a non-critical rule for up to 7 days, trimming the reason', () => {
    const r = validateSnoozeRequest({ rule: 'spo2.low', until: inHours(168), reason: ' known COPD ' }, now);
    expect(r).toEqual({ ok: true, value: { rule: 'spo2.low', until: now + 168 * 3_600_000, reason: 'known COPD' } });
  });

  it.each([
    ['not an object', 'x', 'SNOOZE_BODY_INVALID', 400],
    ['an array', [], 'SNOOZE_BODY_INVALID', 400],
    ['an extra field', { rule: 'spo2.low', until: inHours(1), reason: 'r', x: 1 }, 'SNOOZE_BODY_INVALID', 400],
    ['until not a string', { rule: 'spo2.low', until: now + 1000, reason: 'r' }, 'SNOOZE_BODY_INVALID', 400],
    ['an unknown rule', { rule: 'spo2.lowish', until: inHours(1), reason: 'r' }, 'SNOOZE_RULE_UNKNOWN', 400],
    ['spo2.critical', { rule: 'spo2.critical', until: inHours(1), reason: 'r' }, 'RULE_NOT_SNOOZABLE', 422],
    ['device.silent', { rule: 'device.silent', until: inHours(1), reason: 'r' }, 'RULE_NOT_SNOOZABLE', 422],
    ['a missing reason', { rule: 'spo2.low', until: inHours(1) }, 'SNOOZE_REASON_REQUIRED', 400],
    ['a blank reason', { rule: 'spo2.low', until: inHours(1), reason: '   ' }, 'SNOOZE_REASON_REQUIRED', 400],
    ['until in the past', { rule: 'spo2.low', until: inHours(-1), reason: 'r' }, 'SNOOZE_UNTIL_INVALID', 400],
    ['until now', { rule: 'spo2.low', until: inHours(0), reason: 'r' }, 'SNOOZE_UNTIL_INVALID', 400],
    ['until beyond 7 days', { rule: 'spo2.low', until: inHours(168 + 0.01), reason: 'r' }, 'SNOOZE_UNTIL_INVALID', 400],
    ['until without offset', { rule: 'spo2.low', until: '2026-12-09T00:00:00', reason: 'r' }, 'SNOOZE_UNTIL_INVALID', 400],
    ['until not a date', { rule: 'spo2.low', until: 'tomorrow', reason: 'r' }, 'SNOOZE_UNTIL_INVALID', 400],
  ])('refuses %s', (_name, body, code, status) => {
    expect(validateSnoozeRequest(body, now)).toEqual({ ok: false, refusal: { code, status } });
  });
});

describe('isRuleSnoozed', () => {
  const s = { rule: 'spo2.low' as const, until: now + 1000, endedAt: null };
  it.each([
    ['the snoozed rule before its end', [s], 'spo2.low', now, true],
    ['another rule', [s], 'pulse.high', now, false],
    ['at its end', [s], 'spo2.low', now + 1000, false],
    ['after it was ended early', [{ ...s, endedAt: now - 1 }], 'spo2.low', now, false],
    ['no snooze', [], 'spo2.low', now, false],
  ] as const)('%s', (_name, snoozes, rule, at, expected) => {
    expect(isRuleSnoozed(snoozes, rule, at)).toBe(expected);
  });
});
