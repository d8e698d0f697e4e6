import type { PatientProfile } from './people.js';

/**
 * NEWS2 SpO2 sub-score (Royal College of Physicians, 2017).
 * Scale 1 for most patients; scale 2 for patients with hypercapnic respiratory failure whose
 * prescribed target is 88–92 %, where high saturations on oxygen also score.
 */
export function news2Spo2Score(spo2: number, profile: PatientProfile, onOxygen: boolean): number {
  if (profile !== 'hypercapnic') {
    if (spo2 <= 91) return 3;
    if (spo2 <= 93) return 2;
    if (spo2 <= 95) return 1;
    return 0;
  }
  if (spo2 <= 83) return 3;
  if (spo2 <= 85) return 2;
  if (spo2 <= 87) return 1;
  if (spo2 <= 92 || !onOxygen) return 0;
  if (spo2 <= 94) return 1;
  if (spo2 <= 96) return 2;
  return 3;
}

/** NEWS2 pulse sub-score (RCP 2017): ≤ 40 → 3, 41–50 → 1, 51–90 → 0, 91–110 → 1, 111–130 → 2, ≥ 131 → 3. */
export function news2PulseScore(pulse: number): number {
  if (pulse <= 40) return 3;
  if (pulse <= 50) return 1;
  if (pulse <= 90) return 0;
  if (pulse <= 110) return 1;
  if (pulse <= 130) return 2;
  return 3;
}

/**
 * What the console's NEWS2 column shows for an alert. We never have every NEWS2 parameter (no
 * blood pressure, temperature, consciousness), so the column is either the SpO2 sub-score, said
 * so, or a partial NEWS2 of the parameters the alert has, said so:
 * - a pulse alert: partial NEWS2 = pulse sub-score of the alert's value (+ the SpO2 sub-score when
 *   known), never the SpO2 sub-score alone (a 0 there would hide a tachycardia);
 * - any other alert with an SpO2 known at the time: the SpO2 sub-score (scale 2 for hypercapnic
 *   patients, already chosen when it was computed);
 * - otherwise nothing to score.
 */
export interface News2Display {
  kind: 'spo2' | 'partial' | 'none';
  score: number | null;
  /** The parameters scored (SpO2, pulse). */
  parameters: ('SpO2' | 'pulse')[];
  /** Text for the column, e.g. "SpO₂ sub-score 3", "partial NEWS2 2 (SpO₂ + pulse)". */
  label: string;
}

export function news2ForAlert(alert: { rule: string; value: number | null; news2Spo2Score: number | null }): News2Display {
  const spo2 = alert.news2Spo2Score;
  if (alert.rule.startsWith('pulse.') && alert.value !== null) {
    const pulse = news2PulseScore(alert.value);
    if (spo2 === null) return { kind: 'partial', score: pulse, parameters: ['pulse'], label: `partial NEWS2 ${pulse} (pulse only)` };
    return { kind: 'partial', score: pulse + spo2, parameters: ['SpO2', 'pulse'], label: `partial NEWS2 ${pulse + spo2} (SpO₂ + pulse)` };
  }
  if (alert.rule.startsWith('pulse.')) return { kind: 'none', score: null, parameters: [], label: 'not scored' };
  if (spo2 === null) return { kind: 'none', score: null, parameters: [], label: 'not scored' };
  return { kind: 'spo2', score: spo2, parameters: ['SpO2'], label: `SpO₂ sub-score ${spo2}` };
}
