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
