import { Injectable } from '@nestjs/common';
import { RULE_CATALOGUE, RULE_IDS, type RuleId } from '#domain';
import {
  countByRule,
  effectiveSettings,
  lastCompleteNight,
  lastSettledNight,
  ledgerOf,
  nightKeyOf,
  PointRulesReplay,
  replayNightRules,
  replayOximetryBaseline,
  validateOverrides,
  type ReplayedAlert,
  type RuleSettings,
} from '#rules';
import { PatientAccessService, type VisiblePatient } from '../access/patient-access.service.js';
import type { PatientScope } from '../access/patient-scope.js';
import type { Principal } from '../auth/principal.js';
import { AppError } from '../common/app-error.js';
import { ReplayDataRepository } from './replay-data.repository.js';
import { RuleDataRepository } from './rule-data.repository.js';
import { ThresholdsRepository } from './thresholds.repository.js';

export const PREVIEW_DEFAULT_DAYS = 30;
export const PREVIEW_MAX_DAYS = 90;
const DAY_MS = 86_400_000;
/** Nights before the period the night rules may look back over (their longest window and streaks). */
const NIGHTS_LOOKBACK = 45;

/** The rules a replay covers: every rule but device.silent (server receipt times, not the samples'). */
export const PREVIEW_RULES: readonly RuleId[] = RULE_IDS.filter((r) => r !== 'device.silent');

/** One alert the replay raised, as the API returns it. */
export interface PreviewAlertView {
  rule: RuleId;
  severity: string;
  startedAt: string;
  raisedAt: string;
  value: number | null;
  threshold: number | null;
}

export interface ThresholdsPreview {
  patientId: string;
  from: string;
  to: string;
  days: number;
  /** Alerts per rule with the settings in force. */
  current: Record<string, number>;
  /** Alerts per rule with the proposed settings. */
  proposed: Record<string, number>;
  /** The alerts themselves, oldest first (the timeline). */
  alerts: { current: PreviewAlertView[]; proposed: PreviewAlertView[] };
  /** Rules the replay does not cover. */
  notReplayed: RuleId[];
  /** Clinical name of each rule (RULE_CATALOGUE), for pages. */
  labels: Record<string, string>;
}

/** `days` of a preview: an integer 1..90, 30 when absent. */
export function previewDays(raw: unknown): number {
  if (raw === undefined || raw === null) return PREVIEW_DEFAULT_DAYS;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 1) throw AppError.validation('days must be a whole number of days, at least 1', { fields: ['days'] });
  if (raw > PREVIEW_MAX_DAYS) throw new AppError('RANGE_TOO_LARGE', `a preview covers at most ${PREVIEW_MAX_DAYS} days`);
  return raw;
}

/**
 * The thresholds what-if (CONTRACT.md §7): the patient's stored data of the last N days replayed
 * through the live rules (libs/rules replay.ts) with the settings in force and with the proposed
 * ones. Saves nothing and raises nothing; audited as a read. Samples are streamed (one binary COPY
 * per device) into both replays at once, so a month of 1 Hz data is read once and never held in memory.
 */
@Injectable()
export class ThresholdsPreviewService {
  constructor(
    private readonly access: PatientAccessService,
    private readonly thresholds: ThresholdsRepository,
    private readonly data: RuleDataRepository,
    private readonly replayData: ReplayDataRepository,
  ) {}

  async preview(principal: Principal, patientId: string, body: Record<string, unknown>, now = Date.now()): Promise<ThresholdsPreview> {
    if (principal.role !== 'physician') throw AppError.forbidden('only physicians preview thresholds');
    const { days: rawDays, ...proposedBody } = body;
    const days = previewDays(rawDays);
    return this.access.read(
      principal,
      patientId,
      { action: 'thresholds.preview', details: { days }, target: { type: 'thresholds', id: patientId } },
      async (patient, note) => {
        const validation = validateOverrides(patient.profile, proposedBody);
        if (!validation.ok) throw AppError.validation(validation.errors.join('; '), { fields: validation.errors });
        const stored = await this.thresholds.find(patient.id);
        const current = effectiveSettings(patient.profile, this.data.parseOverrides(patient.id, patient.profile, stored?.settings));
        const proposed = effectiveSettings(patient.profile, validation.overrides);
        const to = now;
        const from = now - days * DAY_MS;
        const [cur, prop] = await this.replayPatient(patient, [current, proposed], from, to);
        note({ current: cur.length, proposed: prop.length });
        return {
          patientId: patient.id,
          from: new Date(from).toISOString(),
          to: new Date(to).toISOString(),
          days,
          current: countByRule(cur, PREVIEW_RULES),
          proposed: countByRule(prop, PREVIEW_RULES),
          alerts: { current: cur.map(view), proposed: prop.map(view) },
          notReplayed: ['device.silent'],
          labels: Object.fromEntries(PREVIEW_RULES.map((r) => [r, RULE_CATALOGUE[r].label])),
        };
      },
    );
  }

  /** The alerts each of `settings` would have raised on the patient's data of [from, to) (the bench times it). */
  async replayPatient(patient: Pick<VisiblePatient, 'id' | 'profile' | 'timezone'> & PatientScope, settings: readonly RuleSettings[], from: number, to: number): Promise<ReplayedAlert[][]> {
    const points = settings.map((s) => new PointRulesReplay(s, patient.profile));
    for (const deviceId of await this.replayData.deviceIds(patient)) {
      // One pass over the data for all the settings: each sample goes to every replay.
      await this.replayData.forEachSample(patient, deviceId, from, to, (s) => {
        for (let i = 0; i < points.length; i++) points[i]!.feedSample(deviceId, s);
      });
    }
    const tz = patient.timezone;
    const span = await this.data.sessionSpan(patient.id);
    const sessions = span ? await this.data.sessions(patient.id, from - NIGHTS_LOOKBACK * DAY_MS, to) : [];
    const longestBaseline = Math.max(...settings.map((s) => s['oximetry.baseline'].baselineDays));
    const daily = await this.data.dailyOximetry(patient.id, tz, from - (longestBaseline + 1) * DAY_MS, to);
    const firstDay = nightKeyOf(from, tz);
    return settings.map((s, i) =>
      ledgerOf(
        points[i]!.finish(),
        replayNightRules({ sessions, firstSessionAt: span?.first ?? null, fromNight: firstDay, toNight: lastSettledNight(to, tz), timeZone: tz, settings: s }),
        replayOximetryBaseline(daily, firstDay, lastCompleteNight(to, tz), tz, s),
      ),
    );
  }
}

function view(a: ReplayedAlert): PreviewAlertView {
  return {
    rule: a.rule,
    severity: a.severity,
    startedAt: new Date(a.startedAt).toISOString(),
    raisedAt: new Date(a.at).toISOString(),
    value: a.value,
    threshold: a.threshold,
  };
}
