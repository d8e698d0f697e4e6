import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import {
  addDays,
  daysBetween,
  effectiveSettings,
  evaluateNightRules,
  evaluateOximetryBaseline,
  evaluateOxygenRules,
  lastCompleteNight,
  lastSettledNight,
  nightEnd,
  nightKeyOf,
  zonedEpoch,
  type LeakStatistic,
  type MissingNights,
  type NightRulesInput,
  type RuleDecision,
} from '#rules';
import type { SessionDeviceKind } from '#domain';
import { AlertDecisionService } from './alert-decision.service.js';
import { RuleDataRepository, type PatientRuleContext } from './rule-data.repository.js';

type NightEvaluator = (input: Omit<NightRulesInput, 'sessions'>, upTo: number) => RuleDecision[];

/** Nights the rules may look back over when evaluating one night (longest window plus streaks). */
const NIGHTS_LOOKBACK = 45;
/** A backlog of sessions re-evaluates at most this many of its nights (the latest ones). */
const MAX_NIGHTS_PER_EVALUATION = 31;
/** A backlog of samples re-evaluates oximetry.baseline for at most this many of its days (the latest). */
const MAX_LATE_DAYS_PER_PATIENT = 31;
/** Late days are evaluated once an upload has settled: a backlog comes in many messages. */
export const LATE_DAYS_SETTLE_MS = 10_000;
/** A concentrator's sessions are judged this long after their last arrival (noteOxygenSessions)… */
export const OXYGEN_SETTLE_MS = 2_000;
/** …and at most this long after the first: a device that keeps sending is still judged. */
export const OXYGEN_SETTLE_MAX_MS = 15_000;

/**
 * Night rules (ventilation summaries) and oximetry.baseline (daily means), evaluated for a
 * patient: when sessions arrive (each night they belong to, then the latest night) and by the
 * scheduler (night rules for the last settled night, baseline for the last complete day).
 * Decisions are idempotent, so any number of reruns is safe.
 *
 * Missing nights: on arrival they are unknown (a backlog is committed out of order by parallel
 * ingest connections, so a night not stored yet may be in flight); only the scheduler counts a
 * night with no session as 0 h, and only once it is settled (SETTLE_HOURS after its end).
 */
@Injectable()
export class TrendRulesService implements OnModuleDestroy {
  private readonly logger = new Logger('TrendRules');
  /** Per patient, complete days that received samples late (a backlog), not evaluated yet. */
  private lateDays = new Map<string, Set<string>>();
  private lateDaysTimer: NodeJS.Timeout | undefined;
  /** Per patient, a concentrator's sessions not evaluated yet (noteOxygenSessions). */
  private readonly oxygenPending = new Map<string, { starts: Set<number>; firstAt: number; timer: NodeJS.Timeout | undefined }>();

  constructor(
    private readonly data: RuleDataRepository,
    private readonly decisions: AlertDecisionService,
  ) {}

  /**
   * After sessions were stored: evaluates the nights they belong to, and the latest night: the
   * night rules for a ventilator's sessions, the oxygen rules (per therapy day, the same engine)
   * for a concentrator's. A concentrator reports a day in several sessions (the afternoon's hours
   * before the night's), so a therapy day still in progress at `now` is not judged on arrival (it
   * would look short); the last complete day is evaluated instead, and the nightly job settles it.
   */
  async onSessions(patientId: string, sessionStarts: readonly number[], kind: SessionDeviceKind = 'ventilator', now = Date.now()): Promise<number> {
    if (kind === 'concentrator') {
      this.noteOxygenSessions(patientId, sessionStarts);
      return 0;
    }
    return this.evaluateSessions(patientId, sessionStarts, kind, now);
  }

  /**
   * A concentrator's sessions are judged once its upload has settled: a day comes in several
   * sessions, and a backlog's sessions may be committed in several batches, out of order, so a
   * day judged between two of its sessions looks short (a false o2.adherence). Per patient, the
   * evaluation waits OXYGEN_SETTLE_MS after the last arrival (at most OXYGEN_SETTLE_MAX_MS after
   * the first), then runs once on everything stored.
   */
  private noteOxygenSessions(patientId: string, sessionStarts: readonly number[]): void {
    const pending = this.oxygenPending.get(patientId) ?? { starts: new Set<number>(), firstAt: Date.now(), timer: undefined };
    this.oxygenPending.set(patientId, pending);
    for (const s of sessionStarts) pending.starts.add(s);
    clearTimeout(pending.timer);
    const wait = Math.max(0, Math.min(OXYGEN_SETTLE_MS, pending.firstAt + OXYGEN_SETTLE_MAX_MS - Date.now()));
    pending.timer = setTimeout(() => void this.flushOxygen(patientId), wait);
  }

  /** Evaluates a patient's pending oxygen sessions now (the timer's work). */
  async flushOxygen(patientId: string): Promise<number> {
    const pending = this.oxygenPending.get(patientId);
    if (!pending) return 0;
    clearTimeout(pending.timer);
    this.oxygenPending.delete(patientId);
    try {
      return await this.evaluateSessions(patientId, [...pending.starts], 'concentrator', Date.now());
    } catch (err) {
      this.logger.error({ err, patientId }, 'oxygen rules evaluation failed');
      return 0;
    }
  }

  private async evaluateSessions(patientId: string, sessionStarts: readonly number[], kind: SessionDeviceKind, now: number): Promise<number> {
    const patient = await this.data.patientContext(patientId); // the gate: none without an active episode
    const span = await this.data.sessionSpan(patientId, kind);
    if (!patient || !span) return 0;
    const tz = patient.timezone;
    let nights = new Set(sessionStarts.map((s) => nightKeyOf(s, tz)));
    nights.add(nightKeyOf(span.latest, tz));
    if (kind === 'concentrator') {
      nights.add(lastCompleteNight(now, tz));
      nights = new Set([...nights].filter((n) => nightEnd(n, tz) <= now));
    }
    return this.evaluateNights(patient, kind, span.first, [...nights], 'unknown');
  }

  /**
   * Samples of days already complete were stored (a device's backlog, uploaded late): the
   * scheduler evaluated oximetry.baseline for those days before the data existed, so they are
   * evaluated again, for each day, once the upload has settled (LATE_DAYS_SETTLE_MS). A backlog
   * thus raises the baseline alert it contains (CONTRACT.md §3).
   */
  noteLateDays(patientId: string, days: Iterable<string>): void {
    let pending = this.lateDays.get(patientId);
    if (!pending) this.lateDays.set(patientId, (pending = new Set()));
    for (const day of days) pending.add(day);
    this.lateDaysTimer ??= setTimeout(() => void this.flushLateDays(), LATE_DAYS_SETTLE_MS);
  }

  /** Evaluates the pending late days now (the timer's work; tests call it directly). */
  async flushLateDays(): Promise<number> {
    clearTimeout(this.lateDaysTimer);
    this.lateDaysTimer = undefined;
    const pending = this.lateDays;
    this.lateDays = new Map();
    let count = 0;
    for (const [patientId, days] of pending) {
      try {
        for (const day of [...days].sort().slice(-MAX_LATE_DAYS_PER_PATIENT)) count += await this.baselineForPatientId(patientId, day);
      } catch (err) {
        this.logger.error({ err, patientId }, 'oximetry.baseline of late days failed');
      }
    }
    return count;
  }

  onModuleDestroy(): void {
    clearTimeout(this.lateDaysTimer);
    this.lateDaysTimer = undefined;
    for (const pending of this.oxygenPending.values()) clearTimeout(pending.timer);
    this.oxygenPending.clear();
  }

  /**
   * The scheduler's run at `now`: night rules for the last settled night (a night with no
   * session counts as 0 h: every night up to it is settled), unless `nightRules` is false (no
   * active ventilator); the oxygen rules the same way when `oxygenRules` (an active
   * concentrator); and oximetry.baseline for the last complete day.
   */
  async nightlyForPatient(patientId: string, now: number, opts: { nightRules: boolean; oxygenRules?: boolean } = { nightRules: true }): Promise<number> {
    const patient = await this.data.patientContext(patientId);
    if (!patient) return 0;
    let count = 0;
    const kinds: SessionDeviceKind[] = [...(opts.nightRules ? ['ventilator' as const] : []), ...(opts.oxygenRules ? ['concentrator' as const] : [])];
    for (const kind of kinds) {
      const span = await this.data.sessionSpan(patientId, kind);
      if (span) count += await this.evaluateNights(patient, kind, span.first, [lastSettledNight(now, patient.timezone)], 'zero');
    }
    count += await this.baselineForPatient(patient, lastCompleteNight(now, patient.timezone));
    return count;
  }

  /** oximetry.baseline for one (noon-to-noon) day. */
  async baselineForPatient(patient: PatientRuleContext, day: string): Promise<number> {
    const settings = effectiveSettings(patient.profile, patient.overrides);
    const p = settings['oximetry.baseline'];
    if (!p.enabled) return 0;
    const from = zonedEpoch(addDays(day, -p.baselineDays), 12, patient.timezone);
    const days = await this.data.dailyOximetry(patient.id, patient.timezone, from, nightEnd(day, patient.timezone));
    const d = evaluateOximetryBaseline(days, day, patient.timezone, settings);
    return d ? this.apply(patient, d) : 0;
  }

  async baselineForPatientId(patientId: string, day: string): Promise<number> {
    const patient = await this.data.patientContext(patientId);
    return patient ? this.baselineForPatient(patient, day) : 0;
  }

  private async evaluateNights(
    patient: PatientRuleContext,
    kind: SessionDeviceKind,
    firstSessionAt: number,
    nights: string[],
    missingNights: MissingNights,
  ): Promise<number> {
    const firstNight = nightKeyOf(firstSessionAt, patient.timezone);
    const sorted = [...new Set(nights)]
      .filter((n) => daysBetween(firstNight, n) >= 0)
      .sort()
      .slice(-MAX_NIGHTS_PER_EVALUATION);
    if (sorted.length === 0) return 0;
    const settings = effectiveSettings(patient.profile, patient.overrides);
    const from = zonedEpoch(addDays(sorted[0]!, -NIGHTS_LOOKBACK), 12, patient.timezone);
    const to = nightEnd(sorted[sorted.length - 1]!, patient.timezone);
    const evaluate =
      kind === 'ventilator' ? await this.ventilatorNights(patient, settings['niv.leak'].statistic, from, to) : await this.oxygenDays(patient.id, from, to);
    let count = 0;
    for (const night of sorted) {
      const decisions = evaluate({ firstSessionAt, night, timeZone: patient.timezone, settings, missingNights }, nightEnd(night, patient.timezone));
      for (const d of decisions) count += await this.apply(patient, d);
    }
    return count;
  }

  /**
   * The night rules over the ventilation sessions of [from, to), for one night (sessions before
   * `upTo`); with niv.leak on the median or the mean, also the leak samples' statistics per day.
   */
  private async ventilatorNights(patient: PatientRuleContext, leakStatistic: LeakStatistic, from: number, to: number): Promise<NightEvaluator> {
    const sessions = await this.data.sessions(patient.id, from, to);
    const leakFromSamples = leakStatistic === 'p95' ? undefined : await this.data.leakFromSamples(patient.id, patient.timezone, from, to);
    return (input, upTo) => evaluateNightRules({ ...input, sessions: sessions.filter((s) => s.start < upTo), leakFromSamples });
  }

  /** The oxygen rules over the concentrator's sessions of [from, to), for one therapy day. */
  private async oxygenDays(patientId: string, from: number, to: number): Promise<NightEvaluator> {
    const sessions = await this.data.oxygenSessions(patientId, from, to);
    return (input, upTo) => evaluateOxygenRules({ ...input, sessions: sessions.filter((s) => s.start < upTo) });
  }

  private async apply(patient: PatientRuleContext, d: RuleDecision): Promise<number> {
    const settings = effectiveSettings(patient.profile, patient.overrides);
    const message = await this.decisions.apply(
      { patientId: patient.id, deviceId: null, profile: patient.profile, assumeOnOxygen: settings['spo2.high_on_o2'].assumeOnOxygen, settings },
      d,
    );
    return message ? 1 : 0;
  }
}
