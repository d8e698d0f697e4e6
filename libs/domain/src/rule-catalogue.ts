import type { RuleId } from './alerts.js';

/**
 * What each rule means to a clinician: its name, the statistic an alert of it carries, and the
 * clinical reference it rests on. The one source of these texts: the evidence of an alert
 * (`GET /api/alerts/:id/evidence`), the physicians' pages and the "source" column of
 * docs/alert-rules.md (a spec keeps the page equal to this catalogue).
 */
export interface RuleDescription {
  /** Clinical name, for pages. */
  label: string;
  /** What the alert's `value` is (e.g. the lowest SpO2 of the run). */
  statistic: string;
  /** Unit of the value and threshold ('' when none). */
  unit: string;
  /** Clinical reference of the rule and its default. */
  source: string;
}

export const RULE_CATALOGUE: Readonly<Record<RuleId, RuleDescription>> = {
  'spo2.critical': {
    label: 'Critical desaturation',
    statistic: 'lowest SpO2 of the episode',
    unit: '%',
    source: 'Critical hypoxaemia limit of the service; for hypercapnic patients it is the NEWS2 scale 2 score-3 band (≤ 83 %)',
  },
  'spo2.low': {
    label: 'Sustained low SpO2',
    statistic: 'lowest SpO2 of the episode',
    unit: '%',
    source:
      "BTS oxygen guideline (O'Driscoll et al., Thorax 2017): target 88–92 % with hypercapnic risk, 94–98 % otherwise (92 % = NEWS2 scale 1 score ≥ 2)",
  },
  'spo2.high_on_o2': {
    label: 'High SpO2 on oxygen',
    statistic: 'highest SpO2 of the episode',
    unit: '%',
    source: 'NEWS2 (RCP 2017) SpO2 scale 2: ≥ 97 % on oxygen scores 3 (hyperoxia → hypercapnia risk)',
  },
  'pulse.high': {
    label: 'Tachycardia',
    statistic: 'highest pulse rate of the episode',
    unit: '/min',
    source: 'Service limit (NEWS2 scores pulse 111–130 as 2, ≥ 131 as 3)',
  },
  'pulse.low': {
    label: 'Bradycardia',
    statistic: 'lowest pulse rate of the episode',
    unit: '/min',
    source: 'Service limit (NEWS2 scores 41–50 as 1, ≤ 40 as 3)',
  },
  'niv.adherence': {
    label: 'Low ventilator use',
    statistic: 'nights under the usage limit in the window',
    unit: 'nights',
    source: 'Conventional 4 h/night adherence limit of home PAP/NIV follow-up',
  },
  'o2.adherence': {
    label: 'Low oxygen use',
    statistic: 'therapy days under the prescribed oxygen hours in the window',
    unit: 'days',
    source:
      'Long-term oxygen therapy works when breathed at least 15 h a day: MRC Working Party, Lancet 1981 (15 h/day vs none: survival), Nocturnal Oxygen Therapy Trial Group, Ann Intern Med 1980 (continuous ≈ 18 h vs 12 h nocturnal: survival); HAS and SPLF guidance on LTOT (≥ 15 h/day, concentrator use checked); LATM respiratory annex (oxygen hours of use as a telemonitored indicator)',
  },
  'niv.usage_variability': {
    label: 'Irregular ventilator use',
    statistic: 'standard deviation of nightly use',
    unit: 'h',
    source: 'Blouet et al., Int J COPD 2018 (changes in breathing pattern and use of home NIV before severe COPD exacerbations)',
  },
  'niv.leak': {
    label: 'High mask leak',
    statistic: "leak of the last night: its 95th percentile, or the 24 h median or mean where the physician chose it",
    unit: 'L/min',
    source:
      'Usual "significant unintentional leak" limit of home ventilators (24 L/min); Janssens et al., Thorax 2011 (monitoring home NIV); LATM respiratory annex (alert on the 24 h median or mean of unintentional leaks over consecutive days)',
  },
  'niv.ahi': {
    label: 'High residual apnoea–hypopnoea index',
    statistic: 'residual AHI of the last night',
    unit: '/h',
    source: 'Janssens et al., Thorax 2011 (residual events under NIV)',
  },
  'resp_rate.trend': {
    label: 'Change in night respiratory rate',
    statistic: 'median respiratory rate of the last night',
    unit: '/min',
    source: 'Blouet et al., Int J COPD 2018',
  },
  'oximetry.baseline': {
    label: 'Oximetry off the patient’s baseline',
    statistic: 'composite score (SpO2 fall and pulse rise, in standard deviations)',
    unit: 'SD',
    source: 'Hurst et al., BMC Pulm Med 2010 (domiciliary pulse oximetry at COPD exacerbation)',
  },
  'device.silent': {
    label: 'Device silent',
    statistic: 'hours since the device was last heard',
    unit: 'h',
    source: 'Service rule: a silent device is a blind spot',
  },
};
