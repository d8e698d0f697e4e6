import { describe, expect, it } from '@jest/globals';
import { SAMPLE_METRIC_NAMES } from '#domain';
import { AppError } from '../common/app-error.js';
import { dateBounds, dateValueRange, decodeCursor, encodeCursor, parseObservationSearch } from './fhir-search.js';

const iso = (d?: Date) => d?.toISOString();

describe('FHIR date search values', () => {
  it.each([
    ['2026', '2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['2026-02', '2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z'],
    ['2026-12', '2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['2026-11-23', '2026-11-23T00:00:00.000Z', '2026-11-24T00:00:00.000Z'],
    ['2026-11-23T10:15Z', '2026-11-23T10:15:00.000Z', '2026-11-23T10:16:00.000Z'],
    ['2026-11-23T10:15:30+01:00', '2026-11-23T09:15:30.000Z', '2026-11-23T09:15:31.000Z'],
    ['2026-11-23T10:15:30.5Z', '2026-11-23T10:15:30.500Z', '2026-11-23T10:15:30.600Z'],
    ['2026-11-23T10:15:30.123Z', '2026-11-23T10:15:30.123Z', '2026-11-23T10:15:30.124Z'],
  ])('%s stands for [%s, %s)', (value, start, end) => {
    const r = dateValueRange(value);
    expect([iso(r.start), iso(r.end)]).toEqual([start, end]);
  });

  it.each(['2026-13', '2026-02-30', '2026-11-23T10:15', '23/11/2026', 'now', '2026-11-23T25:00:00Z'])('refuses %s', (value) => {
    expect(() => dateValueRange(value)).toThrow(AppError);
  });

  it.each<[string[], string | undefined, string | undefined]>([
    [[], undefined, undefined],
    [['ge2026-11-01', 'le2026-11-30'], '2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z'],
    [['gt2026-11-01', 'lt2026-11-30'], '2026-11-02T00:00:00.000Z', '2026-11-30T00:00:00.000Z'],
    [['2026-11-23'], '2026-11-23T00:00:00.000Z', '2026-11-24T00:00:00.000Z'],
    [['eq2026-11'], '2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z'],
    [['ge2026-11-01', 'ge2026-11-10', 'le2026-11-20', 'lt2026-11-15T00:00:00Z'], '2026-11-10T00:00:00.000Z', '2026-11-15T00:00:00.000Z'],
  ])('date=%j → [%s, %s)', (values, from, to) => {
    const b = dateBounds(values);
    expect([iso(b.from), iso(b.to)]).toEqual([from, to]);
  });

  it.each(['ne2026-11-01', 'sa2026-11-01', 'ap2026'])('refuses the unsupported prefix of %s', (v) => {
    expect(() => dateBounds([v])).toThrow(/not supported/);
  });
});

describe('parseObservationSearch', () => {
  const P = '2b7e2c4e-5a7e-4d0a-9f59-7d1f6a0c1e11';

  it('reads the patient as an id or a reference, and defaults to every metric, 100 per page', () => {
    expect(parseObservationSearch({ patient: P })).toEqual({ patientId: P, metrics: SAMPLE_METRIC_NAMES, count: 100, from: undefined, to: undefined, bucket: undefined, cursor: undefined });
    expect(parseObservationSearch({ patient: `Patient/${P}` }).patientId).toBe(P);
    expect(parseObservationSearch({ subject: `https://x.example/fhir/Patient/${P}` }).patientId).toBe(P);
  });

  it.each<[Record<string, string | string[]>, string[]]>([
    [{ code: 'http://loinc.org|59408-5' }, ['spo2']],
    [{ code: '2708-6' }, ['spo2']],
    [{ code: 'urn:iso:std:iso:11073:10101|150456' }, ['spo2']],
    [{ code: 'http://loinc.org|8889-8,http://loinc.org|9279-1' }, ['pulseRate', 'respRate']],
    [{ code: 'urn:telemonitoring:metric|leak' }, ['leak']],
    [{ code: '76296-3' }, ['leak']],
    [{ code: 'http://snomed.info/sct|59408-5' }, []],
    [{ code: '|59408-5' }, []],
    [{ code: 'unknown' }, []],
    [{ code: ['2708-6,8889-8', '8889-8'] }, ['pulseRate']],
  ])('code %j selects %j', (query, metrics) => {
    expect(parseObservationSearch({ patient: P, ...query }).metrics).toEqual(metrics);
  });

  it.each<[Record<string, string | string[]>, number]>([
    [{ _count: '10' }, 10],
    [{ _count: '1000' }, 1000],
    [{ _count: '5000' }, 1000],
  ])('_count %j → %d', (query, count) => {
    expect(parseObservationSearch({ patient: P, ...query }).count).toBe(count);
  });

  it.each<[Record<string, string | string[]>, RegExp]>([
    [{}, /patient parameter is required/],
    [{ patient: [P, P] }, /once/],
    [{ patient: P, _count: '0' }, /_count/],
    [{ patient: P, _count: 'ten' }, /_count/],
    [{ patient: P, bucket: '2h' }, /bucket must be one of/],
    [{ patient: P, date: 'ge2026-99' }, /invalid date/],
  ])('refuses %j', (query, message) => {
    expect(() => parseObservationSearch(query)).toThrow(message);
  });

  it('round-trips cursors and refuses forged ones', () => {
    const c = encodeCursor(['1795403401000000', 'spo2', 'OX-1']);
    expect(decodeCursor(c, ['string', 'string', 'string'])).toEqual(['1795403401000000', 'spo2', 'OX-1']);
    expect(() => decodeCursor(c, ['number', 'string'])).toThrow(/invalid _cursor/);
    expect(() => decodeCursor('not-base64-json', ['string'])).toThrow(/invalid _cursor/);
  });
});
