import { RULE_IDS, type RuleId } from './alerts.js';

/** Longest a rule may be silenced for one patient (CONTRACT §7). */
export const SNOOZE_MAX_MS = 7 * 86_400_000;

/** Rules that are never silenced: a critical desaturation, and the mandatory silent-device check. */
export const NON_SNOOZABLE_RULES: readonly RuleId[] = ['spo2.critical', 'device.silent'];

export type SnoozeRefusal =
  | { code: 'SNOOZE_BODY_INVALID'; status: 400 }
  | { code: 'SNOOZE_RULE_UNKNOWN'; status: 400 }
  | { code: 'SNOOZE_REASON_REQUIRED'; status: 400 }
  | { code: 'SNOOZE_UNTIL_INVALID'; status: 400 }
  | { code: 'RULE_NOT_SNOOZABLE'; status: 422 };

export interface SnoozeRequest {
  rule: RuleId;
  until: number;
  reason: string;
}

export function isSnoozable(rule: RuleId): boolean {
  return !NON_SNOOZABLE_RULES.includes(rule);
}

/**
 * Checks a snooze request body against `now` (epoch ms; no clock here). Order matters for the
 * stable code: malformed body, unknown rule, non-snoozable rule, reason, then the end time.
 */
export function validateSnoozeRequest(body: unknown, now: number): { ok: true; value: SnoozeRequest } | { ok: false; refusal: SnoozeRefusal } {
  const refuse = (refusal: SnoozeRefusal) => ({ ok: false as const, refusal });
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return refuse({ code: 'SNOOZE_BODY_INVALID', status: 400 });
  const { rule, until, reason, ...rest } = body as Record<string, unknown>;
  if (Object.keys(rest).length > 0 || typeof rule !== 'string' || typeof until !== 'string') {
    return refuse({ code: 'SNOOZE_BODY_INVALID', status: 400 });
  }
  if (!(RULE_IDS as readonly string[]).includes(rule)) return refuse({ code: 'SNOOZE_RULE_UNKNOWN', status: 400 });
  const ruleId = rule as RuleId;
  if (!isSnoozable(ruleId)) return refuse({ code: 'RULE_NOT_SNOOZABLE', status: 422 });
  if (typeof reason !== 'string' || reason.trim() === '') return refuse({ code: 'SNOOZE_REASON_REQUIRED', status: 400 });
  // ISO-8601 with an explicit offset only: a bare local time would depend on the server's zone.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(until)) {
    return refuse({ code: 'SNOOZE_UNTIL_INVALID', status: 400 });
  }
  const untilMs = Date.parse(until);
  if (!Number.isFinite(untilMs) || untilMs <= now || untilMs - now > SNOOZE_MAX_MS) {
    return refuse({ code: 'SNOOZE_UNTIL_INVALID', status: 400 });
  }
  return { ok: true, value: { rule: ruleId, until: untilMs, reason: reason.trim() } };
}

/** The gate the rule engine asks: is this rule silenced for this patient at `at` (epoch ms)? */
export function isRuleSnoozed(snoozes: readonly { rule: RuleId; until: number; endedAt: number | null }[], rule: RuleId, at: number): boolean {
  return snoozes.some((s) => s.rule === rule && s.until > at && (s.endedAt === null || s.endedAt > at));
}
