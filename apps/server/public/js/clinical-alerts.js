// Alerts of a period for the patient page and the monthly report: every page of
// GET /api/alerts?patientId=&from=&to= (newest first, keyset paging with beforeId), and the text of
// their handling (who acknowledged / resolved, when, the notes) from
// GET /api/patients/:id/alert-handling. Pure functions (no DOM): unit-tested in
// apps/server/src/clinical/clinical-alerts.spec.ts.

/**
 * Calls `fetchPage(beforeId)` (undefined first) until a page is shorter than `pageSize`, at most
 * `maxPages` times. `truncated`: the last page allowed was full, so older alerts may be missing.
 */
export async function collectAlertPages(fetchPage, { pageSize = 500, maxPages = 20 } = {}) {
  const alerts = [];
  let beforeId;
  for (let page = 0; page < maxPages; page++) {
    const rows = await fetchPage(beforeId);
    alerts.push(...rows);
    if (rows.length < pageSize) return { alerts, truncated: false };
    beforeId = rows[rows.length - 1].id;
  }
  return { alerts, truncated: true };
}

const minutesBetween = (a, b) => (a && b ? Math.round((Date.parse(b) - Date.parse(a)) / 60000) : null);

/** A user as shown in the tables: "Dr Martin (physician)"; an unknown one by the start of its id. */
export function actorLabel(actor, fallbackId) {
  if (actor?.name) return actor.role ? `${actor.name} (${actor.role})` : actor.name;
  if (fallbackId) return `user ${String(fallbackId).slice(0, 8)}`;
  return null;
}

const KIND_LABEL = { acknowledged: 'ack', resolved: 'resolution', escalated: 'escalation', raised: 'raised', occurrence: 'occurrence', severity: 'severity' };

/**
 * What the alerts table shows of an alert's handling. `handling`: its entry of
 * GET /api/patients/:id/alert-handling, or undefined (then the user ids of the alert view).
 * `format` turns an ISO time into text.
 */
export function describeHandling(alert, handling, format) {
  const ackBy = actorLabel(handling?.acknowledgedBy, alert.acknowledgedBy);
  const resolvedBy = actorLabel(handling?.resolvedBy, alert.resolvedBy);
  const acknowledged = alert.acknowledgedAt ? `${format(alert.acknowledgedAt)}${ackBy ? ` by ${ackBy}` : ''}` : '—';
  let resolved = '—';
  if (alert.resolvedAt) {
    const who = resolvedBy && alert.resolution !== 'cleared' ? ` by ${resolvedBy}` : '';
    const how = alert.resolution === 'cleared' ? ' (cleared by the data)' : alert.resolution === 'manual' ? ' (manual)' : '';
    resolved = `${format(alert.resolvedAt)}${who}${how}`;
  }
  const ackMin = minutesBetween(alert.openedAt, alert.acknowledgedAt);
  const summary = [
    ackMin !== null ? `acknowledged after ${ackMin} min` : alert.status === 'open' ? 'not acknowledged' : null,
    alert.escalated ? 'escalated' : null,
  ].filter(Boolean);
  // Notes written by people (a rule's own clearing message is not a note).
  const notes = (handling?.events ?? [])
    .filter((e) => e.note && e.by)
    .map((e) => `${KIND_LABEL[e.kind] ?? e.kind} ${format(e.at)}, ${actorLabel(e.by)}: “${e.note}”`);
  return { acknowledged, resolved, summary: summary.join('; ') || '—', notes };
}
