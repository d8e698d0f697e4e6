// Labels and formatting for the console (no DOM).

const RULES = {
  'spo2.critical': ['SpO₂ critical', '%'],
  'spo2.low': ['SpO₂ low', '%'],
  'spo2.high_on_o2': ['SpO₂ high on O₂', '%'],
  'pulse.high': ['Pulse high', '/min'],
  'pulse.low': ['Pulse low', '/min'],
  'niv.adherence': ['NIV adherence', 'nights'],
  'o2.adherence': ['Oxygen adherence', 'days'],
  'niv.usage_variability': ['NIV usage variability', 'h'],
  'niv.leak': ['NIV leak', 'L/min'],
  'niv.ahi': ['NIV AHI', '/h'],
  'resp_rate.trend': ['Resp. rate trend', '/min'],
  'oximetry.baseline': ['Oximetry vs baseline', ''],
  'device.silent': ['Device silent', 'h'],
};

export function ruleLabel(rule) {
  return RULES[rule]?.[0] ?? rule;
}

export function formatValue(alert) {
  if (alert.value === null || alert.value === undefined) return '—';
  const unit = RULES[alert.rule]?.[1] ?? '';
  const value = `${round(alert.value)}${unit ? ` ${unit}` : ''}`;
  return alert.threshold === null || alert.threshold === undefined ? value : `${value} (limit ${round(alert.threshold)})`;
}

function round(n) {
  return Math.abs(n) >= 10 ? String(Math.round(n)) : String(Math.round(n * 10) / 10);
}

/** "just now", "4 min ago", "2 h 05 ago", "3 d ago" from two epoch-millisecond times. */
export function ago(thenMs, nowMs) {
  const s = Math.max(0, Math.round((nowMs - thenMs) / 1000));
  if (s < 45) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${String(m % 60).padStart(2, '0')} ago`;
  return `${Math.floor(h / 24)} d ago`;
}

export function clockTime(iso) {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' });
}

export const SEVERITY_LABEL = { critical: 'Critical', warning: 'Warning', info: 'Info' };
export const STATUS_LABEL = { open: 'Open', acknowledged: 'Acknowledged', resolved: 'Resolved' };
