import { describe, expect, it } from '@jest/globals';
import { jsonTextTooDeep, MAX_JSON_DEPTH, valueTooDeep } from './json-depth.js';

const nested = (depth: number) => `${'{"a":['.repeat(depth / 2)}1${']}'.repeat(depth / 2)}`;

describe('JSON nesting limit', () => {
  it('accepts documents up to the limit and refuses deeper ones, as text and as values', () => {
    for (const [depth, tooDeep] of [
      [2, false],
      [MAX_JSON_DEPTH, false],
      [MAX_JSON_DEPTH + 2, true],
      [100_000, true],
    ] as const) {
      const text = nested(depth);
      expect(jsonTextTooDeep(Buffer.from(text))).toBe(tooDeep);
      expect(valueTooDeep(JSON.parse(text))).toBe(tooDeep);
    }
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ note: `${'['.repeat(100)}\\"${'{'.repeat(100)}`, list: [[1], { b: [] }] });
    expect(jsonTextTooDeep(Buffer.from(text))).toBe(false);
    expect(valueTooDeep(JSON.parse(text))).toBe(false);
  });

  it('counts the depth of scalars as nothing', () => {
    expect(valueTooDeep('[[[[')).toBe(false);
    expect(valueTooDeep(null)).toBe(false);
    expect(jsonTextTooDeep(Buffer.from('"[[[["'), 1)).toBe(false);
    expect(jsonTextTooDeep(Buffer.from('[[1]]'), 1)).toBe(true);
    expect(valueTooDeep([[1]], 1)).toBe(true);
    expect(valueTooDeep([1], 1)).toBe(false);
  });
});
