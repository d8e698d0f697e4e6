import type { NightDto } from '../clinical/clinical.dto.js';

/** The NIV adherence limit of the rule catalogue (niv.adherence, docs/alert-rules.md): 4 h a night. */
export const ADHERENCE_MIN_HOURS = 4;

export interface NightIndicators {
  adherence7d: number | null;
  usageHours7d: number | null;
  leak7d: number | null;
  ahi7d: number | null;
  spo2NightMean7d: number | null;
}

type Night = Pick<NightDto, 'sessions' | 'usageHours' | 'leakP95' | 'ahi' | 'spo2Mean' | 'oximetryHours'>;

const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;
const mean = (xs: readonly number[]): number | null => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);

/**
 * The 7-day figures of the population view from the nights of GET /api/patients/:id/nights (the
 * same rows, the same computation): definitions in docs/api.md ("Population view"). Each is null
 * when its data is absent, never 0 for "nothing".
 * - adherence7d: % of the nights with ≥ 4 h of ventilation, a night without a session counting
 *   as 0 h; null when no night has a session (no ventilator data at all).
 * - usageHours7d: mean ventilation hours per night, on the same nights (0 h without a session).
 * - leak7d, ahi7d: mean of the nights' leak P95 (L/min) and AHI (events/h), nights with a value.
 * - spo2NightMean7d: mean SpO2 over the valid samples of the night windows (each night's mean
 *   weighted by its hours of oximetry).
 */
export function nightIndicators(nights: readonly Night[]): NightIndicators {
  const ventilated = nights.some((n) => n.sessions > 0);
  const hours = nights.map((n) => (n.sessions > 0 ? (n.usageHours ?? 0) : 0));
  const adherent = hours.filter((h) => h >= ADHERENCE_MIN_HOURS).length;
  const leak = mean(nights.flatMap((n) => (n.leakP95 === null ? [] : [n.leakP95])));
  const ahi = mean(nights.flatMap((n) => (n.ahi === null ? [] : [n.ahi])));
  const oximetry = nights.filter((n) => n.spo2Mean !== null && n.oximetryHours > 0);
  const oxHours = oximetry.reduce((a, n) => a + n.oximetryHours, 0);
  return {
    adherence7d: ventilated && nights.length > 0 ? round((100 * adherent) / nights.length, 1) : null,
    usageHours7d: ventilated && nights.length > 0 ? round(mean(hours)!, 2) : null,
    leak7d: leak === null ? null : round(leak, 1),
    ahi7d: ahi === null ? null : round(ahi, 1),
    spo2NightMean7d: oxHours > 0 ? round(oximetry.reduce((a, n) => a + n.spo2Mean! * n.oximetryHours, 0) / oxHours, 1) : null,
  };
}
