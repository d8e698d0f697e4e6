import { describe, expect, it } from '@jest/globals';
import { DEVICE_ID_PATTERN } from '#protocol';
import { SAMPLE_METRIC_NAMES } from '#domain';
import { boolArray, isSafeArrayText, numberArray, quotedTextArray } from './pg-arrays.js';

describe('PostgreSQL array literals of the insert path', () => {
  it.each([
    [[], '{}'],
    [['OX-1'], '{"OX-1"}'],
    [['OX-1', 'VE_2'], '{"OX-1","VE_2"}'],
    // Unquoted, NULL would be an SQL null: every element is quoted.
    [['NULL', 'null'], '{"NULL","null"}'],
    [['00000000-0000-4000-8000-000000000001'], '{"00000000-0000-4000-8000-000000000001"}'],
  ])('quotedTextArray(%j) = %s', (values, literal) => {
    expect(quotedTextArray(values)).toBe(literal);
  });

  it.each([
    [[], '{}'],
    [[93], '{93}'],
    [[91.5, 0, -0, 2.1, 1e-7, 1795403401000], '{91.5,0,0,2.1,1e-7,1795403401000}'],
  ])('numberArray(%j) = %s', (values, literal) => {
    expect(numberArray(values)).toBe(literal);
  });

  it('boolArray', () => {
    expect(boolArray([])).toBe('{}');
    expect(boolArray([true, false])).toBe('{true,false}');
  });

  it('needs no escaping for anything that can reach it: device ids, metric names, uuids', () => {
    for (const name of SAMPLE_METRIC_NAMES) expect(isSafeArrayText(name)).toBe(true);
    // The topic's device id pattern excludes quotes, backslashes, braces, commas and spaces.
    for (const bad of ['a"b', 'a\\b', 'a,b', 'a}b', 'a b']) expect(DEVICE_ID_PATTERN.test(bad)).toBe(false);
    expect(isSafeArrayText('a"b')).toBe(false);
    expect(isSafeArrayText('a\\b')).toBe(false);
  });
});
