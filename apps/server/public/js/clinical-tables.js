// Tables shared by the patient page and the monthly report. DOM built with textContent only.
import { describeHandling } from './clinical-alerts.js';

export function cell(tag, text, className) {
  const e = document.createElement(tag);
  e.textContent = text;
  if (className) e.className = className;
  return e;
}

const num = (v, digits = 1) => (v === null || v === undefined ? '—' : Number(v).toFixed(digits));
export const dateTime = (iso) => (iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' }) : '—');

const NIGHT_COLUMNS = [
  ['Night', (n) => n.night],
  ['Window', (n) => `${new Date(n.start).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })}–${new Date(n.end).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })}${n.source === 'session' ? '' : ' (default)'}`],
  ['Usage h', (n) => num(n.usageHours, 1), (n) => (n.usageHours !== null && n.usageHours < 4 ? 'warn' : '')],
  ['Leak p95 L/min', (n) => num(n.leakP95, 0), (n) => (n.leakP95 !== null && n.leakP95 > 24 ? 'warn' : '')],
  ['AHI /h', (n) => num(n.ahi, 1), (n) => (n.ahi !== null && n.ahi > 10 ? 'warn' : '')],
  ['RR median /min', (n) => num(n.respRateMedian, 0)],
  ['Vt mL', (n) => num(n.tidalVolumeMedian, 0)],
  ['MV L/min', (n) => num(n.minuteVentilationMedian, 1)],
  ['Trig. %', (n) => num(n.triggeredBreathsPct, 0)],
  ['SpO₂ mean %', (n) => num(n.spo2Mean, 1)],
  ['SpO₂ min %', (n) => num(n.spo2Min, 0)],
  ['T90 %', (n) => num(n.t90Pct, 1), (n) => (n.t90Pct !== null && n.t90Pct > 30 ? 'warn' : '')],
  ['ODI 3% /h', (n) => num(n.odi3, 1), (n) => (n.odi3 !== null && n.odi3 > 10 ? 'warn' : '')],
  ['Pulse /min', (n) => num(n.pulseMean, 0)],
  ['Oximetry h', (n) => num(n.oximetryHours, 1)],
];

/** Nights, newest first. */
export function renderNightsTable(container, nights) {
  const table = document.createElement('table');
  table.className = 'nights';
  const head = document.createElement('tr');
  for (const [label] of NIGHT_COLUMNS) head.append(cell('th', label));
  table.createTHead().append(head);
  const body = table.createTBody();
  for (const n of [...nights].reverse()) {
    const tr = document.createElement('tr');
    for (const [, value, flag] of NIGHT_COLUMNS) tr.append(cell('td', value(n), flag ? flag(n) : ''));
    body.append(tr);
  }
  container.replaceChildren(table);
  if (!nights.length) container.append(cell('p', 'No nights.', 'muted'));
}

/** Summary of the nights for the report: adherence and means over the nights with data. */
export function summarizeNights(nights) {
  const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  const known = (f) => nights.map(f).filter((v) => v !== null && v !== undefined);
  const usage = known((n) => n.usageHours);
  return {
    nights: nights.length,
    nightsUsed4h: usage.filter((u) => u >= 4).length,
    meanUsage: mean(usage),
    meanAhi: mean(known((n) => n.ahi)),
    meanLeak: mean(known((n) => n.leakP95)),
    meanSpo2: mean(known((n) => n.spo2Mean)),
    meanT90: mean(known((n) => n.t90Pct)),
    meanOdi: mean(known((n) => n.odi3)),
    oximetryNights: known((n) => (n.oximetryHours > 0 ? 1 : null)).length,
  };
}

/**
 * Alerts with their handling: acknowledged at / by, resolved at / by and how, time to acknowledge,
 * escalation, and the notes. `handling`: Map alertId → GET /api/patients/:id/alert-handling entry
 * (names and notes); without it, users are shown by id. `truncated`: a visible warning that the list
 * is incomplete. `evidence`: an Evidence button per alert (data-evidence-id), for the patient page.
 */
export function renderAlertsTable(container, alerts, { handling, truncated = false, evidence: withEvidence = false } = {}) {
  const table = document.createElement('table');
  table.className = 'alerts';
  const head = document.createElement('tr');
  for (const label of ['Started', 'Rule', 'Severity', 'Value / threshold', 'Status', 'Occurrences', 'Acknowledged', 'Resolved', 'Handling and notes']) head.append(cell('th', label));
  table.createTHead().append(head);
  const body = table.createTBody();
  for (const a of alerts) {
    const tr = document.createElement('tr');
    tr.className = `severity-${a.severity}`;
    tr.dataset.alertId = a.id;
    const h = describeHandling(a, handling?.get(a.id), dateTime);
    const handlingCell = cell('td', h.summary, 'handling');
    if (h.notes.length) {
      const list = document.createElement('ul');
      list.className = 'notes';
      for (const note of h.notes) list.append(cell('li', note));
      handlingCell.append(list);
    }
    const ruleCell = cell('td', a.rule);
    if (withEvidence) {
      // The patient page opens the evidence of the alert (GET /api/alerts/:id/evidence); not in the printed report.
      const evidence = document.createElement('button');
      evidence.type = 'button';
      evidence.className = 'evidence-open';
      evidence.dataset.evidenceId = a.id;
      evidence.textContent = 'Evidence';
      evidence.setAttribute('aria-label', `Evidence of the alert ${a.rule} started ${dateTime(a.startedAt)}`);
      ruleCell.append(' ', evidence);
    }
    tr.append(
      cell('td', dateTime(a.startedAt)),
      ruleCell,
      cell('td', a.severity, `severity ${a.severity}`),
      cell('td', `${a.value ?? '—'} / ${a.threshold ?? '—'}`),
      cell('td', a.status),
      cell('td', String(a.occurrences ?? 1)),
      cell('td', h.acknowledged, 'who'),
      cell('td', h.resolved, 'who'),
      handlingCell,
    );
    body.append(tr);
  }
  const parts = [];
  if (truncated) parts.push(cell('p', `Incomplete: only the ${alerts.length} most recent alerts of the period could be loaded; older ones are missing.`, 'error truncated'));
  parts.push(table);
  if (!alerts.length) parts.push(cell('p', 'No alerts.', 'muted'));
  container.replaceChildren(...parts);
}
