import { describe, expect, it } from '@jest/globals';
import type { ConsoleAlert } from './console-events.js';
// The page's own module (plain JS served as is), tested here because it holds the merge rules.
import { AlertStore, compareIds, isNewCritical } from '../../public/js/alert-store.js';

const alert = (over: Partial<ConsoleAlert>): ConsoleAlert =>
  ({
    id: '1',
    patientId: 'p1',
    rule: 'spo2.critical',
    severity: 'critical',
    status: 'open',
    startedAt: '2026-11-23T10:00:00.000Z',
    openedAt: '2026-11-23T10:01:00.000Z',
    lastTriggeredAt: '2026-11-23T10:01:00.000Z',
    occurrences: 1,
    value: 82,
    threshold: 85,
    message: '',
    escalated: false,
    acknowledgedBy: null,
    acknowledgedAt: null,
    resolvedBy: null,
    resolvedAt: null,
    resolution: null,
    news2Spo2Score: 3,
    eventId: '10',
    eventKind: 'raised',
    ...over,
  }) as ConsoleAlert;

describe('console page alert store', () => {
  it('keeps the state of the highest event id, whatever the arrival order or duplicates', () => {
    const store = new AlertStore();
    expect(store.apply(alert({ eventId: '12', status: 'acknowledged', eventKind: 'acknowledged' })).change).toBe('new');
    expect(store.apply(alert({ eventId: '10' })).change).toBe('stale');
    expect(store.apply(alert({ eventId: '12', status: 'acknowledged', eventKind: 'acknowledged' })).change).toBe('same');
    expect(store.alerts.get('1')!.status).toBe('acknowledged');
    expect(store.apply(alert({ eventId: '100', status: 'resolved', resolvedAt: '2026-11-23T11:00:00.000Z' })).change).toBe('updated');
    expect(store.active()).toEqual([]);
    expect(store.resolved().map((a) => a.id)).toEqual(['1']);
    expect(store.lastEventId).toBe('100');
  });

  it('sorts by severity, then newest first', () => {
    const store = new AlertStore();
    store.apply(alert({ id: 'w-old', severity: 'warning', openedAt: '2026-11-23T09:00:00.000Z', eventId: '1' }));
    store.apply(alert({ id: 'c-old', severity: 'critical', openedAt: '2026-11-23T09:30:00.000Z', eventId: '2' }));
    store.apply(alert({ id: 'i', severity: 'info', openedAt: '2026-11-23T11:00:00.000Z', eventId: '3' }));
    store.apply(alert({ id: 'c-new', severity: 'critical', openedAt: '2026-11-23T10:30:00.000Z', eventId: '4', status: 'acknowledged' }));
    store.apply(alert({ id: 'w-new', severity: 'warning', openedAt: '2026-11-23T10:45:00.000Z', eventId: '5' }));
    expect(store.active().map((a) => a.id)).toEqual(['c-new', 'c-old', 'w-new', 'w-old', 'i']);
  });

  it('takes the cursor from sync answers and keeps answers to ack without moving it', () => {
    const store = new AlertStore();
    const changes = store.applySync({ alerts: [alert({ eventId: '7' }), alert({ id: '2', eventId: '9' })], lastEventId: '15', hasMore: false });
    expect(changes.map((c) => c.change)).toEqual(['new', 'new']);
    expect(store.lastEventId).toBe('15');
    const { eventId: _e, eventKind: _k, ...view } = alert({ status: 'acknowledged' });
    expect(store.applyAnswer(view)).toMatchObject({ status: 'acknowledged', eventId: '7' });
    expect(store.lastEventId).toBe('15');
    expect(store.applyAnswer({ ...view, id: 'unknown' })).toBeUndefined();
  });

  it.each([
    ['a new open critical alert', undefined, alert({}), true],
    ['a new warning', undefined, alert({ severity: 'warning' }), false],
    ['a new critical already acknowledged', undefined, alert({ status: 'acknowledged' }), false],
    ['a warning escalated to critical', alert({ severity: 'warning' }), alert({ eventId: '11', eventKind: 'severity' }), true],
    ['another occurrence of a critical', alert({}), alert({ eventId: '11', eventKind: 'occurrence', occurrences: 2 }), false],
  ])('cues %s: %s', (_name, before, after, expected) => {
    const store = new AlertStore();
    if (before) store.apply(before);
    expect(isNewCritical(store.apply(after))).toBe(expected);
  });

  it.each([
    ['9', '10', -1],
    ['10', '10', 0],
    ['11', '10', 1],
  ])('compares ids %s and %s', (x, y, sign) => {
    expect(Math.sign(compareIds(x, y))).toBe(sign);
  });
});
