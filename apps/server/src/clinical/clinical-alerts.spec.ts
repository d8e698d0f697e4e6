import { describe, expect, it } from '@jest/globals';
import { actorLabel, collectAlertPages, describeHandling, type AlertHandling } from '../../public/js/clinical-alerts.js';

const fmt = (iso: string) => iso.slice(5, 16).replace('T', ' ');

describe('alerts of a period: paging (patient page and report)', () => {
  const ids = (n: number, from: number) => Array.from({ length: n }, (_, i) => ({ id: String(from - i) }));

  it('follows beforeId until a short page', async () => {
    const calls: (string | undefined)[] = [];
    const pages = [ids(3, 100), ids(3, 97), ids(1, 94)];
    const r = await collectAlertPages(async (beforeId) => (calls.push(beforeId), pages[calls.length - 1]!), { pageSize: 3 });
    expect(calls).toEqual([undefined, '98', '95']);
    expect(r.alerts.map((a) => a.id)).toEqual(['100', '99', '98', '97', '96', '95', '94']);
    expect(r.truncated).toBe(false);
  });

  it('an exactly full last page costs one more (empty) request, not a false warning', async () => {
    const pages = [ids(2, 10), []];
    let n = 0;
    const r = await collectAlertPages(async () => pages[n++]!, { pageSize: 2 });
    expect([n, r.alerts.length, r.truncated]).toEqual([2, 2, false]);
  });

  it('says truncated when it had to stop', async () => {
    let n = 0;
    const r = await collectAlertPages(async () => ids(2, 1000 - 2 * n++), { pageSize: 2, maxPages: 3 });
    expect([n, r.alerts.length, r.truncated]).toEqual([3, 6, true]);
  });
});

describe('alert handling text', () => {
  const nurse = { id: 'u-nurse-1234567', name: 'Claire Dubois', role: 'nurse' };
  const physician = { id: 'u-phys-1234567', name: 'Dr Martin', role: 'physician' };
  const alert = {
    id: '7',
    status: 'resolved',
    openedAt: '2026-11-20T10:00:00.000Z',
    acknowledgedAt: '2026-11-20T10:12:00.000Z',
    acknowledgedBy: nurse.id,
    resolvedAt: '2026-11-20T12:00:00.000Z',
    resolvedBy: physician.id,
    resolution: 'manual',
    escalated: false,
  };
  const handling: AlertHandling = {
    alertId: '7',
    acknowledgedBy: nurse,
    resolvedBy: physician,
    events: [
      { kind: 'acknowledged', at: '2026-11-20T10:12:00.000Z', by: nurse, note: 'called the patient' },
      { kind: 'resolved', at: '2026-11-20T12:00:00.000Z', by: physician, note: 'O2 flow raised to 2 L/min' },
    ],
  };

  it('names who acknowledged and resolved, when, how, and lists the notes', () => {
    expect(describeHandling(alert, handling, fmt)).toEqual({
      acknowledged: '11-20 10:12 by Claire Dubois (nurse)',
      resolved: '11-20 12:00 by Dr Martin (physician) (manual)',
      summary: 'acknowledged after 12 min',
      notes: ['ack 11-20 10:12, Claire Dubois (nurse): “called the patient”', 'resolution 11-20 12:00, Dr Martin (physician): “O2 flow raised to 2 L/min”'],
    });
  });

  it('without the handling entry: the user ids; cleared by the data: no person, no system note', () => {
    const cleared = { ...alert, resolution: 'cleared', resolvedBy: null, escalated: true };
    const system: AlertHandling = { ...handling, resolvedBy: null, events: [{ kind: 'resolved', at: alert.resolvedAt, by: null, note: 'SpO2 back above 85 %' }] };
    expect(describeHandling(cleared, system, fmt)).toMatchObject({ resolved: '11-20 12:00 (cleared by the data)', summary: 'acknowledged after 12 min; escalated', notes: [] });
    expect(describeHandling(alert, undefined, fmt)).toMatchObject({ acknowledged: '11-20 10:12 by user u-nurse-', notes: [] });
    expect(describeHandling({ ...alert, status: 'open', acknowledgedAt: null, acknowledgedBy: null, resolvedAt: null }, undefined, fmt)).toEqual({
      acknowledged: '—',
      resolved: '—',
      summary: 'not acknowledged',
      notes: [],
    });
  });

  it('labels actors', () => {
    expect(actorLabel({ id: 'x', name: 'A' })).toBe('A');
    expect(actorLabel(null)).toBeNull();
  });
});
