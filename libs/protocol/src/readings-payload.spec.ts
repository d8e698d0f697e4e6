import { describe, expect, it } from '@jest/globals';
import { MAX_PAYLOAD_BYTES, parseReadingsPayload, parseStatusPayload, parseTimestamp } from './readings-payload.js';
import { parseDeviceTopic, readingsTopic } from './topics.js';
import { payloadExcerpt } from './rejections.js';

const NOW = Date.parse('2026-11-23T03:10:00.000Z');
const WINDOW = { nowMs: NOW, backfillHorizonMs: 30 * 86400_000, futureSkewMs: 300_000 };
const parse = (doc: unknown) => parseReadingsPayload(typeof doc === 'string' ? doc : JSON.stringify(doc), WINDOW);

describe('parseReadingsPayload: whole-message rejections', () => {
  it.each([
    ['not JSON', '{"v":1,', 'malformed-json'],
    ['binary garbage', '\u0000\u00ff\u0013', 'malformed-json'],
    ['a JSON array', [], 'malformed-message'],
    ['a JSON string', '"hello"', 'malformed-message'],
    ['wrong version', { v: 2, samples: [] }, 'unsupported-version'],
    ['missing version', { samples: [] }, 'unsupported-version'],
    ['samples not an array', { v: 1, samples: {} }, 'malformed-message'],
    ['1001 samples', { v: 1, samples: Array.from({ length: 1001 }, () => ({ at: NOW, spo2: 95 })) }, 'too-many-samples'],
  ])('%s → %s', (_name, doc, reason) => {
    const r = parse(doc);
    expect(r).toMatchObject({ ok: false, reason });
  });

  it('rejects a payload over 256 KiB', () => {
    const big = JSON.stringify({ v: 1, samples: [], pad: 'x'.repeat(MAX_PAYLOAD_BYTES) });
    expect(parse(big)).toMatchObject({ ok: false, reason: 'payload-too-large' });
  });

  it('accepts exactly 1000 samples', () => {
    const r = parse({ v: 1, samples: Array.from({ length: 1000 }, (_, i) => ({ at: NOW - i * 1000, spo2: 95 })) });
    expect(r.ok && r.samples.length).toBe(1000);
  });
});

describe('parseReadingsPayload: per-sample validation keeps the rest', () => {
  it.each([
    [{ at: NOW, spo2: 101 }, 'out-of-range'],
    [{ at: NOW, spo2: -1 }, 'out-of-range'],
    [{ at: NOW, pulseRate: 19 }, 'out-of-range'],
    [{ at: NOW, fio2: 20 }, 'out-of-range'],
    [{ at: NOW, spo2: '95' }, 'bad-value'],
    [{ at: NOW, spo2: null }, 'bad-value'],
    [{ at: NOW, spo2: 95, heartRate: 70 }, 'unknown-field'],
    [{ at: NOW, spo2: 95, signalOk: 'yes' }, 'bad-value'],
    [{ at: NOW }, 'empty-sample'],
    [{ at: NOW, signalOk: true }, 'empty-sample'],
    [{ spo2: 95 }, 'bad-timestamp'],
    [{ at: '2026-11-23 03:10:00', spo2: 95 }, 'bad-timestamp'],
    [{ at: '2026-11-23T03:10:00', spo2: 95 }, 'bad-timestamp'],
    [{ at: 1.5, spo2: 95 }, 'bad-timestamp'],
    [{ at: NOW + 301_000, spo2: 95 }, 'timestamp-in-future'],
    [{ at: NOW - 31 * 86400_000, spo2: 95 }, 'timestamp-too-old'],
    [42, 'malformed-sample'],
  ])('sample %j → %s, the valid sample beside it is kept', (bad, reason) => {
    const r = parse({ v: 1, samples: [bad, { at: NOW, spo2: 93, pulseRate: 78 }] });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.samples).toEqual([{ at: NOW, values: { spo2: 93, pulseRate: 78 }, signalOk: true }]);
    expect(r.rejected).toEqual([expect.objectContaining({ kind: 'sample', index: 0, reason })]);
  });

  it.each([
    ['ISO with Z', '2026-11-23T03:10:00.000Z', NOW],
    ['ISO with offset', '2026-11-23T04:10:00+01:00', NOW],
    ['epoch ms', NOW, NOW],
    ['5 min ahead exactly', NOW + 300_000, NOW + 300_000],
    ['30 days back exactly', NOW - 30 * 86400_000, NOW - 30 * 86400_000],
  ])('accepts %s', (_n, at, expected) => {
    expect(parseTimestamp(at, WINDOW)).toEqual({ ok: true, ms: expected });
  });

  it('keeps signalOk:false samples, flagged', () => {
    const r = parse({ v: 1, samples: [{ at: NOW, spo2: 80, signalOk: false }] });
    expect(r.ok && r.samples[0]).toEqual({ at: NOW, values: { spo2: 80 }, signalOk: false });
  });

  it('stores the samples and lists an unknown top-level field', () => {
    const r = parse({ v: 1, seq: 7, extra: 1, samples: [{ at: NOW, spo2: 95 }] });
    expect(r.ok && r.seq).toBe(7);
    expect(r.ok && r.samples).toHaveLength(1);
    expect(r.ok && r.rejected).toEqual([{ kind: 'message', index: null, reason: 'unknown-field', detail: 'extra' }]);
  });

  it('parses the contract example with samples and a session', () => {
    const r = parseReadingsPayload(
      JSON.stringify({
        v: 1,
        seq: 1842,
        samples: [
          { at: '2026-11-23T03:10:00.000Z', spo2: 93, pulseRate: 78, perfusionIndex: 2.1, signalOk: true },
          { at: NOW + 1000, spo2: 92, pulseRate: 79 },
        ],
        sessions: [
          { start: '2026-11-22T22:10:00Z', end: '2026-11-23T06:40:00Z', usageHours: 8.5, leakP95: 22, ahi: 3.1, respRateMedian: 17, tidalVolumeMedian: 460, minuteVentilationMedian: 7.9, triggeredBreathsPct: 62 },
        ],
      }),
      { ...WINDOW, nowMs: Date.parse('2026-11-23T07:00:00Z') },
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.samples).toHaveLength(2);
    expect(r.sessions[0]).toMatchObject({ start: Date.parse('2026-11-22T22:10:00Z'), values: { usageHours: 8.5, ahi: 3.1 } });
    expect(r.rejected).toEqual([]);
  });

  it.each([
    [{ start: NOW - 1000, end: NOW - 2000, usageHours: 1 }, 'bad-session'],
    [{ start: NOW - 3600_000, end: NOW, usageHours: 25 }, 'out-of-range'],
    [{ start: NOW - 3600_000, end: NOW, snore: 1 }, 'unknown-field'],
  ])('rejects session %j with %s', (session, reason) => {
    const r = parse({ v: 1, sessions: [session] });
    expect(r.ok && r.rejected[0]).toMatchObject({ kind: 'session', reason });
  });

  it.each([
    ['ventilator', { leakMedian: 12, leakMean: 14.5, usageHours: 7 }, null],
    ['ventilator', { leakMedian: 201 }, 'out-of-range'],
    ['ventilator', { o2UsageHours: 7 }, 'unknown-field'],
    ['concentrator', { o2UsageHours: 16, o2FlowMean: 2 }, null],
    ['concentrator', { o2UsageHours: 24.5 }, 'out-of-range'],
    ['concentrator', { o2FlowMean: 15.5 }, 'out-of-range'],
    ['concentrator', { leakMedian: 10 }, 'unknown-field'],
    ['oximeter', { usageHours: 7 }, 'bad-session'],
    [undefined, { o2UsageHours: 7, usageHours: 7 }, null],
  ])('a %s session with %j: %s', (kind, fields, reason) => {
    const r = parseReadingsPayload(JSON.stringify({ v: 1, sessions: [{ start: NOW - 3600_000, end: NOW, ...fields }] }), WINDOW, kind);
    if (!r.ok) throw new Error('message rejected');
    if (reason === null) {
      expect(r.rejected).toEqual([]);
      expect(r.sessions[0]!.values).toEqual(fields);
    } else {
      expect(r.sessions).toEqual([]);
      expect(r.rejected[0]).toMatchObject({ kind: 'session', index: 0, reason });
    }
  });
});

describe('status payload', () => {
  it.each([
    ['{"online":true,"battery":80,"firmware":"1.2.3"}', { online: true, battery: 80, firmware: '1.2.3' }],
    ['{"online":false}', { online: false }],
  ])('accepts %s', (raw, status) => {
    expect(parseStatusPayload(raw)).toEqual({ ok: true, status });
  });
  it.each(['{"online":"yes"}', '{"online":true,"battery":101}', 'nope', '{"online":true,"firmware":"<script>"}'])('rejects %s', (raw) => {
    expect(parseStatusPayload(raw)).toMatchObject({ ok: false, reason: 'bad-status' });
  });
});

describe('topics', () => {
  it.each([
    ['tm/v1/devices/OX-1234/readings', { deviceId: 'OX-1234', channel: 'readings' }],
    ['tm/v1/devices/OX-1234/status', { deviceId: 'OX-1234', channel: 'status' }],
    ['tm/v1/devices/OX-1234/other', undefined],
    ['tm/v1/devices/../readings', undefined],
    ['tm/v1/devices/OX 1/readings', undefined],
    ['tm/v2/devices/OX-1234/readings', undefined],
    ['tm/v1/devices/OX-1234/readings/x', undefined],
  ])('%s', (topic, expected) => {
    expect(parseDeviceTopic(topic)).toEqual(expected);
  });
  it('builds what it parses', () => {
    expect(parseDeviceTopic(readingsTopic('VE-9'))).toEqual({ deviceId: 'VE-9', channel: 'readings' });
  });
  it('excerpts are bounded and printable', () => {
    const e = payloadExcerpt(Buffer.from('\u0000abc'.repeat(1000)), 100);
    expect(e.length).toBeLessThanOrEqual(101);
    expect(e.includes('\u0000')).toBe(false);
  });
});
