import { Injectable } from '@nestjs/common';
import { RULE_CATALOGUE, type RuleId } from '#domain';
import { defaultSettings, meetsPointRule, POINT_RULE_IDS, POINT_RULES, summarizeNights, NIGHT_RULE_IDS, operator, type PointRuleId } from '#rules';
import { PatientAccessService, type VisiblePatient } from '../access/patient-access.service.js';
import type { Principal } from '../auth/principal.js';
import { AppError } from '../common/app-error.js';
import { AlertEvidenceRepository, EVIDENCE_MAX_SAMPLES } from './alert-evidence.repository.js';
import { AlertRepository, type AlertEvidenceRecord, type AlertRecord } from './alert.repository.js';
import { RuleDataRepository } from './rule-data.repository.js';

const DAY_MS = 86_400_000;

/** A sample of a point rule's window: a time and a value. */
export interface EvidenceSample {
  at: string;
  value: number;
}
/** A night a night rule looked at (the merged sessions of the night). */
export interface EvidenceNight {
  night: string;
  usageHours: number;
  leakP95: number | null;
  ahi: number | null;
  respRateMedian: number | null;
}
/** A day of oximetry.baseline: its mean SpO2 and pulse. */
export interface EvidenceDay {
  day: string;
  spo2Mean: number | null;
  pulseMean: number | null;
}

export interface AlertEvidence {
  alertId: string;
  rule: RuleId;
  /** Clinical name of the rule. */
  label: string;
  /** The rule's parameters in force when it was raised (null: raised before they were recorded). */
  parameters: Record<string, unknown> | null;
  statistic: { name: string; value: number | null; unit: string; threshold: number | null; comparison: string | null };
  window: { from: string; to: string };
  /** readings: SpO2 or pulse samples that met the rule; nights: ventilation nights; days: daily means; none. */
  sampleKind: 'readings' | 'nights' | 'days' | 'none';
  /** The metric of the readings (spo2, pulseRate), null otherwise. */
  metric: string | null;
  samples: (EvidenceSample | EvidenceNight | EvidenceDay)[];
  /** More samples met the rule in the window than returned (at most EVIDENCE_MAX_SAMPLES). */
  truncated: boolean;
  /** The clinical reference of the rule (libs/domain RULE_CATALOGUE, as docs/alert-rules.md). */
  source: string;
}

/**
 * The evidence of an alert (CONTRACT.md §7): the settings in force when it was raised (recorded on
 * its event), its statistic, the window of its latest episode and the samples that met the rule
 * there, and the rule's clinical source. Visible exactly when the alert is (404 outside the
 * caller's teams); audited as a read of the alert.
 */
@Injectable()
export class AlertEvidenceService {
  constructor(
    private readonly alerts: AlertRepository,
    private readonly evidence: AlertEvidenceRepository,
    private readonly data: RuleDataRepository,
    private readonly access: PatientAccessService,
  ) {}

  async get(principal: Principal, alertId: string): Promise<AlertEvidence> {
    const row = await this.alerts.findById(alertId);
    if (!row) throw AppError.notFound('alert');
    try {
      return await this.access.read(principal, row.patientId, { action: 'alert.evidence', target: { type: 'alert', id: row.id } }, async (patient) =>
        this.build(patient, row, await this.alerts.latestEvidence(row.id)),
      );
    } catch (err) {
      if (err instanceof AppError && err.code === 'NOT_FOUND') throw AppError.notFound('alert');
      throw err;
    }
  }

  private async build(patient: VisiblePatient, row: AlertRecord, recorded: AlertEvidenceRecord | null): Promise<AlertEvidence> {
    const description = RULE_CATALOGUE[row.rule];
    const from = recorded?.startedAt ?? row.startedAt.getTime();
    const to = Math.max(recorded?.at ?? 0, row.lastTriggeredAt.getTime());
    const threshold = row.threshold;
    const isPoint = (POINT_RULE_IDS as readonly string[]).includes(row.rule);
    const base = {
      alertId: row.id,
      rule: row.rule,
      label: description.label,
      parameters: recorded?.parameters ?? null,
      statistic: {
        name: description.statistic,
        value: row.value,
        unit: description.unit,
        threshold,
        comparison: isPoint ? operator(POINT_RULES[row.rule as PointRuleId]) : null,
      },
      window: { from: new Date(from).toISOString(), to: new Date(to).toISOString() },
      source: description.source,
    };
    if (isPoint) {
      const rule = row.rule as PointRuleId;
      const metric = POINT_RULES[rule].metric;
      const deviceId = recorded?.deviceId ?? (await this.evidence.alertDevice(row.id));
      const read = deviceId ? await this.evidence.samples(patient, deviceId, metric, from, to) : [];
      const met = threshold === null ? read : read.filter((s) => meetsPointRule(rule, s.value, threshold));
      return {
        ...base,
        sampleKind: 'readings',
        metric,
        samples: met.slice(0, EVIDENCE_MAX_SAMPLES).map((s) => ({ at: new Date(s.at).toISOString(), value: s.value })),
        truncated: read.length > EVIDENCE_MAX_SAMPLES,
      };
    }
    if ((NIGHT_RULE_IDS as readonly string[]).includes(row.rule)) {
      const sessions = await this.data.sessions(patient.id, from - DAY_MS, to);
      const nights = [...summarizeNights(sessions, patient.timezone).values()].sort((a, b) => a.night.localeCompare(b.night));
      return {
        ...base,
        sampleKind: 'nights',
        metric: null,
        samples: nights.map((n) => ({ night: n.night, usageHours: n.usageHours, leakP95: n.leakP95, ahi: n.ahi, respRateMedian: n.respRateMedian })),
        truncated: false,
      };
    }
    if (row.rule === 'oximetry.baseline') {
      const baselineDays = Number(recorded?.parameters?.baselineDays ?? defaultSettings(patient.profile)['oximetry.baseline'].baselineDays);
      const days = await this.data.dailyOximetry(patient.id, patient.timezone, from - baselineDays * DAY_MS, to);
      return { ...base, sampleKind: 'days', metric: null, samples: days, truncated: false };
    }
    return { ...base, sampleKind: 'none', metric: null, samples: [], truncated: false };
  }
}
