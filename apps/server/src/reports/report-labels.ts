import { DateTime } from 'luxon';
import type { RuleSettings } from '#rules';

/** Clinical words of the printed reports (the console's labels, public/js/format.js, in the same words). */

export const RULE_LABELS: Record<string, string> = {
  'spo2.critical': 'SpO₂ critical',
  'spo2.low': 'SpO₂ low',
  'spo2.high_on_o2': 'SpO₂ high on O₂',
  'pulse.high': 'Pulse high',
  'pulse.low': 'Pulse low',
  'niv.adherence': 'NIV adherence',
  'niv.usage_variability': 'NIV usage variability',
  'niv.leak': 'NIV leak',
  'niv.ahi': 'NIV AHI',
  'resp_rate.trend': 'Respiratory rate trend',
  'oximetry.baseline': 'Oximetry vs baseline',
  'device.silent': 'Device silent',
  'o2.adherence': 'Oxygen adherence',
};

export const INDICATION_LABELS: Record<string, string> = {
  niv: 'Home non-invasive ventilation',
  oxygen: 'Long-term oxygen therapy',
  'niv+oxygen': 'Non-invasive ventilation and oxygen therapy',
};

export const SEVERITY_LABELS: Record<string, string> = { critical: 'Critical', warning: 'Warning', info: 'Info' };

/** The parameters of a rule, in clinical words and units. */
const PARAMETER_LABELS: Record<string, string> = {
  enabled: 'on',
  threshold: 'limit',
  durationSeconds: 'for (s)',
  hysteresis: 'hysteresis',
  clearSeconds: 'clears after (s)',
  assumeOnOxygen: 'assume on O₂',
  minUsageHours: 'min. usage (h)',
  minNights: 'min. nights',
  windowNights: 'over nights',
  maxSdHours: 'max. SD (h)',
  consecutiveNights: 'consecutive nights',
  referenceNights: 'reference nights',
  baselineDays: 'baseline days',
  minBaselineDays: 'min. baseline days',
  infoAfterHours: 'info after (h)',
  warningAfterHours: 'warning after (h)',
};

export const ruleLabel = (rule: string): string => RULE_LABELS[rule] ?? rule;

/** "limit 88, for (s) 120, …" of one rule's settings; "off" when disabled. */
export function ruleSettingsText(params: Record<string, unknown>): string {
  if (params.enabled === false) return 'off';
  return Object.entries(params)
    .filter(([k]) => k !== 'enabled')
    .map(([k, v]) => `${PARAMETER_LABELS[k] ?? k} ${typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v)}`)
    .join(', ');
}

/** The rules whose settings differ between two effective settings, with their before and after. */
export function changedRules(before: RuleSettings, after: RuleSettings): Array<{ rule: string; before: string; after: string }> {
  return Object.keys(after)
    .filter((rule) => JSON.stringify(before[rule as keyof RuleSettings]) !== JSON.stringify(after[rule as keyof RuleSettings]))
    .map((rule) => ({
      rule,
      before: ruleSettingsText(before[rule as keyof RuleSettings] as unknown as Record<string, unknown>),
      after: ruleSettingsText(after[rule as keyof RuleSettings] as unknown as Record<string, unknown>),
    }));
}

/** 12 November 2026 (a date `YYYY-MM-DD`, no zone: it is already the patient's). */
export function longDate(day: string): string {
  return DateTime.fromISO(day, { zone: 'UTC' }).setLocale('en-GB').toFormat('d MMMM yyyy');
}

/** 12/11/2026 14:05 in the zone. */
export function dateTime(instant: string | Date, zone: string): string {
  const d = typeof instant === 'string' ? DateTime.fromISO(instant) : DateTime.fromJSDate(instant);
  return d.setZone(zone).toFormat('dd/MM/yyyy HH:mm');
}

/** 12/11/2026 of an instant in the zone. */
export function shortDateOf(instant: string | Date, zone: string): string {
  const d = typeof instant === 'string' ? DateTime.fromISO(instant) : DateTime.fromJSDate(instant);
  return d.setZone(zone).toFormat('dd/MM/yyyy');
}

/** 12/11/2026 of a date `YYYY-MM-DD`. */
export const shortDate = (day: string): string => `${day.slice(8, 10)}/${day.slice(5, 7)}/${day.slice(0, 4)}`;

/** November 2026 of `YYYY-MM`. */
export function monthName(month: string): string {
  return DateTime.fromISO(`${month}-01`, { zone: 'UTC' }).setLocale('en-GB').toFormat('MMMM yyyy');
}

/** A number with its unit, or an em dash. */
export function num(v: number | null | undefined, digits: number, unit = ''): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return `${v.toFixed(digits)}${unit ? ` ${unit}` : ''}`;
}

/** Mean of the non-null values, or null. */
export function mean(values: ReadonlyArray<number | null | undefined>): number | null {
  const xs = values.filter((v): v is number => v !== null && v !== undefined && Number.isFinite(v));
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
}
