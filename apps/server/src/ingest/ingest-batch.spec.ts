import { describe, expect, it } from '@jest/globals';
import { IngestBatch, sortByTime } from './ingest-batch.js';
import { batchParameters, batchStatement, isDataError } from './reading.repository.js';

const oximeter = { deviceId: 'OX-1', patientId: '00000000-0000-4000-8000-000000000001', kind: 'oximeter' as const, active: true };
const ventilator = { deviceId: 'VE-1', patientId: '00000000-0000-4000-8000-000000000002', kind: 'ventilator' as const, active: true };

describe('IngestBatch', () => {
  it('turns each metric of each sample into one row, in column arrays', () => {
    const b = new IngestBatch();
    b.addSamples(oximeter, [
      { at: 2000, values: { spo2: 93, pulseRate: 78 }, signalOk: true },
      { at: 1000, values: { spo2: 91.5 }, signalOk: false },
    ], 5000);
    expect(b.rowCount).toBe(3);
    expect(b.acceptedSamples).toBe(2);
    const p = batchParameters(b);
    expect(p.slice(0, 6)).toEqual([
      '{"OX-1","OX-1","OX-1"}',
      '{"spo2","pulseRate","spo2"}',
      '{2000,2000,1000}',
      `{"${oximeter.patientId}","${oximeter.patientId}","${oximeter.patientId}"}`,
      '{93,78,91.5}',
      '{true,true,false}',
    ]);
    expect(b.lastSeen.get('OX-1')).toBe(5000);
  });

  it('hands the rules one entry per device with samples and sessions sorted by time', () => {
    const b = new IngestBatch();
    b.addSamples(oximeter, [{ at: 3000, values: { spo2: 90 }, signalOk: true }], 1);
    b.addSamples(oximeter, [
      { at: 1000, values: { spo2: 92 }, signalOk: true },
      { at: 2000, values: { spo2: 91 }, signalOk: true },
    ], 2);
    b.addSessions(ventilator, [
      { start: 50_000, end: 60_000, values: { usageHours: 3 } },
      { start: 10_000, end: 20_000, values: { ahi: 4 } },
    ]);
    const stored = b.storedBatches();
    expect(stored.map((s) => s.deviceId)).toEqual(['OX-1', 'VE-1']);
    expect(stored[0]!.samples.map((s) => s.at)).toEqual([1000, 2000, 3000]);
    expect(stored[0]).toMatchObject({ patientId: oximeter.patientId, kind: 'oximeter' });
    expect(stored[1]!.sessions.map((s) => s.start)).toEqual([10_000, 50_000]);
  });

  it('keeps the latest status per device and passes sessions with nulls for absent fields', () => {
    const b = new IngestBatch();
    b.addStatus('OX-1', { online: true, battery: 80, firmware: '1.2.3' }, 2000);
    b.addStatus('OX-1', { online: false }, 1000); // older: ignored
    b.addStatus('OX-1', { online: false }, 3000);
    b.addStatus('AA-1', { online: true, battery: 5 }, 1500);
    b.addSessions(ventilator, [{ start: 10, end: 20, values: { usageHours: 7.5 } }]);
    b.addRejection(null, 'x'.repeat(1000), 'bad-topic', 'd', 42, 'e');
    const p = batchParameters(b);
    expect(p[6]).toEqual(['VE-1']);
    expect(p[10]).toEqual([7.5]); // usageHours
    expect(p[11]).toEqual([null]); // leakP95
    expect((p[22] as string[])[0]).toHaveLength(256); // topic bounded
    expect(p.slice(27)).toEqual([['AA-1', 'OX-1'], [true, false], [5, null], [null, null], [1500, 3000]]);
    expect(b.size).toBe(1 + 1 + 2);
    expect([...b.rejectionCounts]).toEqual([['bad-topic', 1]]);
  });
});

describe('the batch statement', () => {
  it('maintains the hourly rollup in the same statement on plain PostgreSQL only', () => {
    const pg = batchStatement('postgres');
    const ts = batchStatement('timescaledb');
    expect(pg).toContain('INSERT INTO readings_hourly');
    expect(pg).toContain('ON CONFLICT DO NOTHING');
    expect(ts).not.toContain('readings_hourly');
    for (const sql of [pg, ts]) {
      expect(sql).toContain('INSERT INTO night_sessions');
      expect(sql).toContain('ON CONFLICT (device_id, start_at) DO NOTHING');
      expect(sql).toContain('INSERT INTO rejections');
      expect(sql).toContain('UPDATE devices');
      // 32 parameters (11 session fields), each used.
      for (let i = 1; i <= 32; i++) expect(sql).toContain(`$${i}::`);
      expect(sql).not.toContain('$33');
    }
  });

  it.each([
    ['23505', true],
    ['23514', true],
    ['22P02', true],
    ['57P01', false],
    ['40P01', false],
    ['08006', false],
    [undefined, false],
  ])('SQLSTATE %s is a data error: %s', (code, expected) => {
    expect(isDataError(Object.assign(new Error('x'), { code }))).toBe(expected);
  });

  it('sortByTime sorts only when needed and is stable', () => {
    const items = [{ t: 2, k: 'a' }, { t: 1, k: 'b' }, { t: 2, k: 'c' }];
    sortByTime(items, (i) => i.t);
    expect(items.map((i) => i.k)).toEqual(['b', 'a', 'c']);
  });
});
