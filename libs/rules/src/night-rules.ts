import type { VentilationSession } from '#domain';
import type { RuleDecision } from './decision.js';
import { fmt } from './decision.js';
import { addDays, daysBetween, lastCompleteNight, nightEnd, nightKeyOf, nightStart } from './calendar.js';
import { NIGHT_RULE_IDS, type LeakStatistic, type NightRuleId, type RuleSettings } from './parameters.js';
import { quantile, sampleSd } from './stats.js';

/**
 * Night rules: home ventilation summaries, one per night (several sessions of a night are merged).
 *
 * A night with no session is read one of two ways (`missingNights`):
 * - 'zero' (the nightly job, for settled nights only, see SETTLE_HOURS): once the patient's
 *   ventilator has sent its first session, a night with no session counts as a night of 0 h usage
 *   (adherence and usage variability) and has no leak, AHI or respiratory rate (it breaks a
 *   streak). Nights before the first session do not exist.
 * - 'unknown' (when sessions arrive): a night with no session may still be in flight (a backlog
 *   is committed out of order by parallel ingest connections), so it is neither 0 h nor a data
 *   point. A rule then raises only on what the stored nights prove, clears only when no value of
 *   the unknown nights could make it met, and otherwise gives nothing (see each rule).
 * Each rule is evaluated for one night N using nights up to N only, and gives a raise (met) or a
 * clear (not met), or nothing when there is not enough data yet. Decisions are timed at the
 * night's noon-to-noon end (`at`), so the server can ignore a clear computed for an older night
 * than the alert's last trigger.
 */

export type MissingNights = 'unknown' | 'zero';

/**
 * A night is settled SETTLE_HOURS after its noon-to-noon end: by then every session of it that
 * the ventilator uploaded in time is stored, so the nightly job may count a night still without a
 * session as 0 h. Sessions of a backlog arrive within seconds; 12 h also covers a ventilator that
 * uploads once in the morning. The price is a bounded delay: a missed night is flagged at the
 * latest SETTLE_HOURS (plus the job's period) after the night ends.
 */
export const SETTLE_HOURS = 12;

/** The latest night settled at `now` (ended at least SETTLE_HOURS before): the nightly job's night. */
export function lastSettledNight(now: number, timeZone: string): string {
  return lastCompleteNight(now - SETTLE_HOURS * HOUR_MS, timeZone);
}

/**
 * Whether a raise of a night rule continues the episode of the rule's open alert (no new
 * occurrence). A night rule's evidence is a range of nights: `startedAt` is 20:00 on its first
 * night, `at` the noon ending the night evaluated; the alert holds `startedAt` … `lastTriggeredAt`.
 * The same episode is dated differently from one evaluation to the next: on arrival a missing
 * night is unknown, in the nightly job it is a 0 h night that may start the evidence earlier, and
 * a window sliding night after night starts at another night. While the alert is open no
 * evaluation of a later night found the rule unmet (that would have cleared it), so a raise whose
 * nights overlap the alert's, or follow or precede them by one night, is the same episode. Only
 * evidence wholly apart from the alert's (an older episode in a backlog, or one after nights that
 * were never evaluated) is a new occurrence. Not for other rules (false).
 */
export function continuesNightEpisode(
  alert: { startedAt: number; lastTriggeredAt: number },
  d: Pick<RuleDecision, 'rule' | 'startedAt' | 'at'>,
): boolean {
  if (!(NIGHT_RULE_IDS as readonly string[]).includes(d.rule)) return false;
  return d.startedAt < alert.lastTriggeredAt + DAY_MS && d.at > alert.startedAt - DAY_MS;
}

/**
 * What the night rules read of a ventilation session (libs/domain's VentilationSession), and the
 * session's 24 h leak median and mean when the ventilator sends them (CONTRACT.md §6).
 */
export type SessionRecord = Pick<VentilationSession, 'start' | 'end' | 'usageHours' | 'leakP95' | 'ahi' | 'respRateMedian'> & {
  leakMedian?: number | null;
  leakMean?: number | null;
};

/** A night's (therapy day's) leak median and mean computed from its leak samples. */
export interface LeakFromSamples {
  median: number | null;
  mean: number | null;
}

export interface NightSummary {
  night: string;
  hasSession: boolean;
  usageHours: number;
  leakP95: number | null;
  /** 24 h leak median / mean: the sessions' (usage-weighted), else from the night's leak samples. */
  leakMedian: number | null;
  leakMean: number | null;
  ahi: number | null;
  respRateMedian: number | null;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * Merges sessions per night: usage adds up, leak P95 is the worst, AHI, RR and the 24 h leak
 * median and mean are usage-weighted means (as GET /days weighs them by hours).
 */
export function summarizeNights(sessions: readonly SessionRecord[], timeZone: string): Map<string, NightSummary> {
  const groups = new Map<string, SessionRecord[]>();
  for (const s of sessions) {
    const key = nightKeyOf(s.start, timeZone);
    const list = groups.get(key) ?? [];
    list.push(s);
    groups.set(key, list);
  }
  const out = new Map<string, NightSummary>();
  for (const [night, list] of groups) {
    const usage = (s: SessionRecord) => s.usageHours ?? Math.max(0, (s.end - s.start) / HOUR_MS);
    const leaks = list.map((s) => s.leakP95).filter((x): x is number => x !== null);
    out.set(night, {
      night,
      hasSession: true,
      usageHours: list.reduce((a, s) => a + usage(s), 0),
      leakP95: leaks.length ? Math.max(...leaks) : null,
      leakMedian: weighted(list, (s) => s.leakMedian ?? null, usage),
      leakMean: weighted(list, (s) => s.leakMean ?? null, usage),
      ahi: weighted(list, (s) => s.ahi, usage),
      respRateMedian: weighted(list, (s) => s.respRateMedian, usage),
    });
  }
  return out;
}

function weighted(list: SessionRecord[], field: (s: SessionRecord) => number | null, usage: (s: SessionRecord) => number): number | null {
  const known = list.filter((s) => field(s) !== null);
  if (known.length === 0) return null;
  const total = known.reduce((a, s) => a + usage(s), 0);
  if (total <= 0) return known.reduce((a, s) => a + field(s)!, 0) / known.length;
  return known.reduce((a, s) => a + field(s)! * usage(s), 0) / total;
}

export interface NightRulesInput {
  /** The patient's sessions covering at least the nights the rules look at (about 30 before N). */
  sessions: readonly SessionRecord[];
  /** Start of the patient's very first session: nights before it do not exist for the rules. */
  firstSessionAt: number;
  /** The night to evaluate (YYYY-MM-DD). */
  night: string;
  timeZone: string;
  settings: RuleSettings;
  /**
   * How a night with no session counts: 'zero' only when every night up to `night` is settled
   * (the nightly job), 'unknown' when evaluating on arrival.
   */
  missingNights: MissingNights;
  /**
   * Per night (therapy day), the leak median and mean of its leak samples: what niv.leak reads on
   * the median or the mean when the night's sessions do not carry leakMedian / leakMean.
   */
  leakFromSamples?: ReadonlyMap<string, LeakFromSamples>;
}

/** Evaluates every enabled night rule for one night. */
export function evaluateNightRules(input: NightRulesInput): RuleDecision[] {
  const { settings } = input;
  const ctx = nightContext(input.sessions, input.firstSessionAt, input.night, input.timeZone, input.missingNights, input.leakFromSamples);
  if (!ctx) return [];
  const out: RuleDecision[] = [];
  const push = (d: RuleDecision | null) => d && out.push(d);
  if (settings['niv.adherence'].enabled) push(adherence(ctx, 'niv.adherence', settings['niv.adherence'], VENTILATOR_USE));
  if (settings['niv.usage_variability'].enabled) push(variability(ctx, settings['niv.usage_variability']));
  if (settings['niv.leak'].enabled) {
    const leak = LEAK_FIELD[settings['niv.leak'].statistic];
    push(streak(ctx, 'niv.leak', settings['niv.leak'], leak.field, leak.label, 'L/min'));
  }
  if (settings['niv.ahi'].enabled) push(streak(ctx, 'niv.ahi', settings['niv.ahi'], (n) => n.ahi, 'Residual AHI', '/h'));
  if (settings['resp_rate.trend'].enabled) push(respRateTrend(ctx, settings['resp_rate.trend']));
  return out;
}

/** What the oxygen rules read of a concentrator's session (a period of oxygen use). */
export interface OxygenSessionRecord {
  start: number;
  end: number;
  /** Hours of oxygen the concentrator counted; null: the session's true duration counts. */
  o2UsageHours: number | null;
}

/**
 * The oxygen rules for one therapy day (noon to noon in the patient's zone, named like a night:
 * libs/domain therapy-days): the same engine as the night rules, on the concentrator's sessions,
 * with the same reading of a day without a session (`missingNights`: unknown on arrival, 0 h in
 * the nightly job once settled, none before the first session).
 */
export interface OxygenRulesInput extends Omit<NightRulesInput, 'sessions'> {
  sessions: readonly OxygenSessionRecord[];
}

export function evaluateOxygenRules(input: OxygenRulesInput): RuleDecision[] {
  const p = input.settings['o2.adherence'];
  if (!p.enabled) return [];
  const sessions = input.sessions.map((s) => ({ start: s.start, end: s.end, usageHours: s.o2UsageHours, leakP95: null, ahi: null, respRateMedian: null }));
  const ctx = nightContext(sessions, input.firstSessionAt, input.night, input.timeZone, input.missingNights);
  if (!ctx) return [];
  const d = adherence(ctx, 'o2.adherence', { minUsageHours: p.minUsageHours, minNights: p.minDays, windowNights: p.windowDays }, OXYGEN_USE);
  return d ? [d] : [];
}

/** The nights up to N as the rules read them (null: N is before the first session). */
function nightContext(
  sessions: readonly SessionRecord[],
  firstSessionAt: number,
  N: string,
  timeZone: string,
  missing: MissingNights,
  leakFromSamples?: ReadonlyMap<string, LeakFromSamples>,
): Ctx | null {
  const firstNight = nightKeyOf(firstSessionAt, timeZone);
  if (daysBetween(firstNight, N) < 0) return null;
  const summaries = summarizeNights(sessions, timeZone);
  for (const [night, fromSamples] of leakFromSamples ?? []) {
    const n = summaries.get(night);
    if (!n) continue; // a night without a session has no leak value: it breaks a streak
    n.leakMedian ??= fromSamples.median;
    n.leakMean ??= fromSamples.mean;
  }
  // undefined: a night that does not count (before the first session, or unknown).
  const nightAt = (key: string): NightSummary | undefined => {
    if (daysBetween(firstNight, key) < 0) return undefined;
    const known = summaries.get(key);
    if (known || missing === 'unknown') return known;
    return { night: key, hasSession: false, usageHours: 0, leakP95: null, leakMedian: null, leakMean: null, ahi: null, respRateMedian: null };
  };
  return { N, timeZone, nightAt, at: nightEnd(N, timeZone), unknownMissing: missing === 'unknown' };
}

interface Ctx {
  N: string;
  timeZone: string;
  nightAt: (key: string) => NightSummary | undefined;
  at: number;
  /** Missing nights are unknown (arrival path): nights before the first session are unknown too. */
  unknownMissing: boolean;
}

function decision(ctx: Ctx, rule: NightRuleId, met: boolean, fields: { startNight: string; value: number | null; threshold: number | null; message: string }): RuleDecision {
  return {
    kind: met ? 'raise' : 'clear',
    rule,
    severity: 'warning',
    startedAt: nightStart(fields.startNight, ctx.timeZone),
    at: ctx.at,
    value: fields.value,
    threshold: fields.threshold,
    message: fields.message,
    news2Spo2Score: null,
  };
}

function lastNights(ctx: Ctx, count: number): NightSummary[] {
  const out: NightSummary[] = [];
  for (let i = count - 1; i >= 0; i--) {
    const n = ctx.nightAt(addDays(ctx.N, -i));
    if (n) out.push(n);
  }
  return out;
}

/** What niv.leak reads of a night for each statistic, and how its messages name it. */
const LEAK_FIELD: Record<LeakStatistic, { field: (n: NightSummary) => number | null; label: string }> = {
  p95: { field: (n) => n.leakP95, label: 'Leak P95' },
  median: { field: (n) => n.leakMedian, label: 'Leak median (24 h)' },
  mean: { field: (n) => n.leakMean, label: 'Leak mean (24 h)' },
};

/** How an adherence rule names its device and its days in messages. */
interface UseWording {
  device: string;
  days: string;
}
const VENTILATOR_USE: UseWording = { device: 'Ventilator', days: 'nights' };
const OXYGEN_USE: UseWording = { device: 'Oxygen', days: 'days' };

/**
 * niv.adherence and o2.adherence. Raise: at least minNights counted nights short (unknown nights
 * can only add short nights, so a raise on known nights alone is proven). With unknown nights,
 * clear only if the condition would stay unmet even if every unknown night of the window
 * (including nights before the first stored session, which may still be in flight) turned out
 * short; otherwise nothing.
 */
function adherence(
  ctx: Ctx,
  rule: 'niv.adherence' | 'o2.adherence',
  p: { minUsageHours: number; minNights: number; windowNights: number },
  words: UseWording,
): RuleDecision | null {
  const window = lastNights(ctx, p.windowNights);
  const low = window.filter((n) => n.usageHours < p.minUsageHours);
  const met = low.length >= p.minNights;
  if (!met && ctx.unknownMissing && low.length + (p.windowNights - window.length) >= p.minNights) return null;
  return decision(ctx, rule, met, {
    startNight: met ? low[0]!.night : ctx.N,
    value: low.length,
    threshold: p.minNights,
    message: met
      ? `${words.device} used less than ${fmt(p.minUsageHours)} h on ${low.length} of the last ${window.length} ${words.days}`
      : `${words.device} used at least ${fmt(p.minUsageHours)} h on enough of the last ${window.length} ${words.days}`,
  });
}

/**
 * Needs a value for every night of the window: with any unknown night, nothing (neither raise nor
 * clear). The raw SD is compared with the limit (1.084 h is above 1.08 h); it is rounded only for
 * display (`value`, message).
 */
function variability(ctx: Ctx, p: RuleSettings['niv.usage_variability']): RuleDecision | null {
  const window = lastNights(ctx, p.windowNights);
  if (window.length < p.windowNights) return null;
  const sd = sampleSd(window.map((n) => n.usageHours));
  const met = sd > p.maxSdHours;
  const shown = Math.round(sd * 1000) / 1000;
  return decision(ctx, 'niv.usage_variability', met, {
    startNight: window[0]!.night,
    value: shown,
    threshold: p.maxSdHours,
    message: `Nightly ventilator usage varies by ${shown} h (SD over ${window.length} nights; limit ${p.maxSdHours} h)`,
  });
}

/**
 * Needs a value on night N. Raise: the stored nights form a long enough streak. Clear: N is not
 * above, or the streak is broken by a known night (no value, or not above); in 'zero' mode also by
 * a missing night. A streak stopped short by an unknown night gives nothing.
 */
function streak(
  ctx: Ctx,
  rule: 'niv.leak' | 'niv.ahi',
  p: { threshold: number; consecutiveNights: number },
  field: (n: NightSummary) => number | null,
  label: string,
  unit: string,
): RuleDecision | null {
  const last = ctx.nightAt(ctx.N);
  if (!last || !last.hasSession || field(last) === null) return null; // nothing new to judge
  let length = 0;
  let first = ctx.N;
  let brokenByUnknown = false;
  for (let i = 0; i < 60; i++) {
    const key = addDays(ctx.N, -i);
    const n = ctx.nightAt(key);
    const v = n ? field(n) : null;
    if (v === null || !(v > p.threshold)) {
      brokenByUnknown = !n && ctx.unknownMissing;
      break;
    }
    length++;
    first = key;
  }
  const met = length >= p.consecutiveNights;
  if (!met && brokenByUnknown) return null;
  return decision(ctx, rule, met, {
    startNight: first,
    value: field(last),
    threshold: p.threshold,
    message: met
      ? `${label} above ${fmt(p.threshold)} ${unit} on ${length} consecutive nights (last ${fmt(field(last)!)} ${unit})`
      : `${label} ${fmt(field(last)!)} ${unit} on the last night`,
  });
}

/**
 * Each of the last consecutiveNights nights is compared with the interquartile range of its own
 * referenceNights preceding RR values (nights without RR are skipped, at most 14 nights back from
 * it): met when every one of them is outside on the same side (all above Q3, or all below Q1).
 * Needs an RR on each of those nights and a complete reference for each; an unknown night met
 * before a reference is complete gives nothing (once stored it could change that reference).
 */
function respRateTrend(ctx: Ctx, p: RuleSettings['resp_rate.trend']): RuleDecision | null {
  const recent: { night: string; rr: number; q1: number; q3: number }[] = [];
  for (let i = p.consecutiveNights - 1; i >= 0; i--) {
    const night = addDays(ctx.N, -i);
    const n = ctx.nightAt(night);
    if (!n || n.respRateMedian === null) return null;
    const reference = rrReference(ctx, night, p.referenceNights);
    if (!reference) return null;
    recent.push({ night, rr: n.respRateMedian, q1: quantile(reference, 0.25), q3: quantile(reference, 0.75) });
  }
  const side = (r: (typeof recent)[number]) => (r.rr > r.q3 ? 'above' : r.rr < r.q1 ? 'below' : 'inside');
  const first = side(recent[0]!);
  const met = first !== 'inside' && recent.every((r) => side(r) === first);
  const last = recent[recent.length - 1]!;
  const lastSide = side(last);
  return decision(ctx, 'resp_rate.trend', met, {
    startNight: recent[0]!.night,
    value: Math.round(last.rr * 10) / 10,
    threshold: Math.round((lastSide === 'above' ? last.q3 : last.q1) * 100) / 100,
    message: met
      ? `Nightly respiratory rate ${fmt(last.rr)} /min ${first} the interquartile range (${fmt(last.q1)}–${fmt(last.q3)}) of its ${p.referenceNights} preceding nights, ${recent.length} nights in a row`
      : `Nightly respiratory rate ${fmt(last.rr)} /min within its recent range`,
  });
}

/** The `count` RR values preceding `night` (nights without RR skipped, 14 nights back at most); null when incomplete. */
function rrReference(ctx: Ctx, night: string, count: number): number[] | null {
  const out: number[] = [];
  for (let j = 1; j <= 14 && out.length < count; j++) {
    const n = ctx.nightAt(addDays(night, -j));
    if (!n) {
      if (ctx.unknownMissing) return null;
      break; // before the first session: no older night exists
    }
    if (n.respRateMedian !== null) out.push(n.respRateMedian);
  }
  return out.length < count ? null : out;
}
