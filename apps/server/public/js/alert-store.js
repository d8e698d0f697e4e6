// The console's view of alerts, fed by alerts.sync answers and live events. Pure: no DOM, no
// socket, no clock, so the merge rules are unit-tested (apps/server/src/console/console-page.spec.ts).
//
// Rule: for each alert keep the state carried by the highest eventId seen. Live events and sync
// answers can arrive in any order and more than once; an older state never overwrites a newer one.

export const SEVERITY_RANK = { critical: 2, warning: 1, info: 0 };

/** Orders decimal bigint ids given as strings. */
export function compareIds(x, y) {
  if (x === y) return 0;
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : 1;
}

export class AlertStore {
  constructor() {
    /** @type {Map<string, object>} alert id → latest known ConsoleAlert */
    this.alerts = new Map();
    /** Cursor for alerts.sync (string) or null before the first sync. */
    this.lastEventId = null;
  }

  /**
   * Applies one ConsoleAlert (alert fields + eventId + eventKind).
   * Returns { change: 'new' | 'updated' | 'same' | 'stale', alert, previous }.
   */
  apply(alert) {
    const previous = this.alerts.get(alert.id);
    if (previous && compareIds(alert.eventId, previous.eventId) < 0) return { change: 'stale', alert: previous, previous };
    this.alerts.set(alert.id, alert);
    if (this.lastEventId === null || compareIds(alert.eventId, this.lastEventId) > 0) this.lastEventId = alert.eventId;
    if (!previous) return { change: 'new', alert, previous: undefined };
    const same = previous.eventId === alert.eventId && previous.status === alert.status && previous.severity === alert.severity;
    return { change: same ? 'same' : 'updated', alert, previous };
  }

  /** Applies an alert.ack / alert.resolve answer (an alert without event id): newer state, same cursor. */
  applyAnswer(view) {
    const previous = this.alerts.get(view.id);
    if (!previous) return undefined;
    const alert = { ...previous, ...view, eventId: previous.eventId, eventKind: previous.eventKind };
    this.alerts.set(view.id, alert);
    return alert;
  }

  /** Applies one alerts.sync answer; returns the changes (new or updated alerts). */
  applySync(result) {
    const changes = [];
    for (const alert of result.alerts) {
      const r = this.apply(alert);
      if (r.change === 'new' || r.change === 'updated') changes.push(r);
    }
    // The server's cursor is authoritative (it also covers events this user may not see).
    if (result.lastEventId !== null && result.lastEventId !== undefined) this.lastEventId = result.lastEventId;
    return changes;
  }

  /** Open and acknowledged alerts: most severe first, then the most recently opened first. */
  active() {
    return [...this.alerts.values()]
      .filter((a) => a.status !== 'resolved')
      .sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || (a.openedAt < b.openedAt ? 1 : a.openedAt > b.openedAt ? -1 : 0));
  }

  /** Resolved alerts seen by this console, most recently resolved first. */
  resolved(limit = 20) {
    return [...this.alerts.values()]
      .filter((a) => a.status === 'resolved')
      .sort((a, b) => ((a.resolvedAt ?? '') < (b.resolvedAt ?? '') ? 1 : -1))
      .slice(0, limit);
  }
}

/** Whether a change deserves the "new critical alert" cue (sound + banner). */
export function isNewCritical(result) {
  const { change, alert, previous } = result;
  if (alert.severity !== 'critical' || alert.status !== 'open') return false;
  if (change === 'new') return true;
  return change === 'updated' && previous !== undefined && previous.severity !== 'critical';
}
