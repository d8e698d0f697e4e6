import type { News2Display } from './news2.js';

/** Rule ids of CONTRACT.md §3. Binding: consoles and other tools filter on them. */
export const RULE_IDS = [
  'spo2.critical',
  'spo2.low',
  'spo2.high_on_o2',
  'pulse.high',
  'pulse.low',
  'niv.adherence',
  'o2.adherence',
  'niv.usage_variability',
  'niv.leak',
  'niv.ahi',
  'resp_rate.trend',
  'oximetry.baseline',
  'device.silent',
] as const;
export type RuleId = (typeof RULE_IDS)[number];

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Higher is more urgent; used to sort and to decide whether a new occurrence raises severity. */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { info: 0, warning: 1, critical: 2 };

export const ALERT_STATUSES = ['open', 'acknowledged', 'resolved'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

export type AlertResolution = 'cleared' | 'manual';

/** The alert as REST `GET /api/alerts/:id` and the console's socket events carry it (CONTRACT.md §3). */
export interface AlertView {
  id: string;
  patientId: string;
  rule: RuleId;
  severity: Severity;
  status: AlertStatus;
  startedAt: string;
  openedAt: string;
  lastTriggeredAt: string;
  occurrences: number;
  value: number | null;
  threshold: number | null;
  message: string;
  escalated: boolean;
  acknowledgedBy: string | null;
  acknowledgedAt: string | null;
  resolvedBy: string | null;
  resolvedAt: string | null;
  resolution: AlertResolution | null;
  /** NEWS2 SpO2 sub-score at the time the alert was raised (scale 2 for hypercapnic patients). */
  news2Spo2Score: number | null;
  /** What the console's NEWS2 column shows: the labelled SpO2 sub-score, or a partial NEWS2 said so (news2ForAlert). */
  news2: News2Display;
}
