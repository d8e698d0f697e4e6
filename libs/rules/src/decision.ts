import type { RuleId, Severity } from '#domain';

/**
 * What the engine decides; the server persists it (alerts table) and tells the console.
 * - raise: the rule is met (a new alert, or a new occurrence of the open one);
 * - update: an episode already raised got worse (a worse value, possibly a higher severity);
 * - clear: the condition is over (the open alert resolves itself, resolution "cleared").
 *
 * Times are epoch ms of clinical time (the samples' own timestamps), never the server clock.
 */
export interface RuleDecision {
  kind: 'raise' | 'update' | 'clear';
  rule: RuleId;
  severity: Severity;
  /** First sample (or night, or day) of the episode that met the rule. Identifies the episode. */
  startedAt: number;
  /** The evidence's own time: the sample that completed the duration, the night evaluated, etc. */
  at: number;
  value: number | null;
  threshold: number | null;
  message: string;
  /** NEWS2 SpO2 sub-score when the engine knows the SpO2 at that time; null otherwise. */
  news2Spo2Score: number | null;
  /** true when decided on samples older than ones already evaluated for the device (backlog). */
  late?: boolean;
  /**
   * Point rules (raise, update): time of the window's last sample before the run — one that did
   * not meet the rule, or the last before a gap. The run began after it, possibly before
   * `startedAt` when another process consumed the samples in between (several ingest processes);
   * the server uses it to recognise the same run seen from two processes. Absent when unknown.
   */
  runAfter?: number;
}

/** Numbers in messages: at most one decimal, no trailing zero. */
export function fmt(value: number): string {
  return String(Math.round(value * 10) / 10);
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${fmt(seconds)} s`;
  if (seconds < 3600) return `${fmt(seconds / 60)} min`;
  return `${fmt(seconds / 3600)} h`;
}
