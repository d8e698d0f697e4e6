import { describe, expect, it } from '@jest/globals';
import { replaySamplesCopySql } from './replay-data.repository.js';

describe('replaySamplesCopySql', () => {
  it('a binary COPY of the three metrics in time order, every value an escaped literal', () => {
    const sql = replaySamplesCopySql('0b1c', "OX-1'; DROP TABLE readings; --", Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 31));
    expect(sql).toMatch(/^COPY \(/);
    expect(sql).toMatch(/\) TO STDOUT \(FORMAT binary\)$/);
    expect(sql.match(/device_id = 'OX-1''; DROP TABLE readings; --'/g)).toHaveLength(3);
    expect(sql).toContain(`time >= '2026-01-01T00:00:00.000Z'::timestamptz AND time < '2026-01-31T00:00:00.000Z'::timestamptz AND patient_id = '0b1c'`);
    expect([...sql.matchAll(/metric = '(\w+)'/g)].map((m) => m[1])).toEqual(['spo2', 'pulseRate', 'o2Flow']);
  });
});
