import { describe, expect, it } from '@jest/globals';
import { parseDeviceTopic, parseReadingsPayload, parseStatusPayload, REJECTION_REASONS, SERVER_REJECTIONS } from '#protocol';
import { buildBadInputCases } from './bad-input-cases.js';

const NOW = Date.parse('2026-11-23T03:10:00.000Z');
const WINDOW = { nowMs: NOW, backfillHorizonMs: 30 * 86_400_000, futureSkewMs: 300_000 };
const cases = buildBadInputCases({ deviceId: 'OX-BAD-1', now: NOW });

describe('bad-input cases carry the reason the backend parser really gives', () => {
  it('covers every reason a device can provoke, each a known reason', () => {
    for (const c of cases) expect(REJECTION_REASONS).toContain(c.expected.reason);
    const covered = new Set(cases.map((c) => c.expected.reason));
    // inactive-device needs a deactivated device in the registry; store-failed is the database
    // refusing data the parser accepted (a backend fault, not something a device can aim at).
    const notProvokable: string[] = ['inactive-device', ...SERVER_REJECTIONS];
    for (const r of REJECTION_REASONS) if (!notProvokable.includes(r)) expect(covered).toContain(r);
  });

  it('has unique ids', () => {
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
  });

  it.each(cases.filter((c) => c.expected.checkedBy === 'parser').map((c) => [c.id, c] as const))('%s', (_id, c) => {
    expect(parseDeviceTopic(c.topic)).toEqual({ deviceId: 'OX-BAD-1', channel: 'readings' });
    const r = parseReadingsPayload(c.payload, WINDOW);
    if (c.expected.scope === 'message') {
      expect(r).toMatchObject({ ok: false, reason: c.expected.reason });
      return;
    }
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.rejected.map((x) => x.reason)).toEqual([c.expected.reason]);
    expect(r.samples).toHaveLength(c.expected.storedSamples);
  });

  it('the malformed topic is refused by the topic parser', () => {
    const c = cases.find((x) => x.id === 'malformed-topic')!;
    expect(parseDeviceTopic(c.topic)).toBeUndefined();
    expect(c.expected.reason).toBe('bad-topic');
  });

  it('the bad status is refused by the status parser', () => {
    const c = cases.find((x) => x.id === 'bad-status')!;
    expect(parseDeviceTopic(c.topic)).toEqual({ deviceId: 'OX-BAD-1', channel: 'status' });
    expect(parseStatusPayload(c.payload)).toMatchObject({ ok: false, reason: 'bad-status' });
  });

  it("the unregistered device's topic is well-formed: only the registry can refuse it", () => {
    const c = cases.find((x) => x.id === 'unregistered-device-topic')!;
    const t = parseDeviceTopic(c.topic);
    expect(t?.deviceId).not.toBe('OX-BAD-1');
    expect(parseReadingsPayload(c.payload, WINDOW)).toMatchObject({ ok: true, rejected: [] });
  });

  it('is deterministic for the same context', () => {
    const again = buildBadInputCases({ deviceId: 'OX-BAD-1', now: NOW });
    expect(again.map((c) => c.payload.toString('base64'))).toEqual(cases.map((c) => c.payload.toString('base64')));
  });
});
