import { describe, expect, it } from '@jest/globals';
import { compareIds } from './console.repository.js';

describe('compareIds', () => {
  it.each([
    ['1', '2', -1],
    ['9', '10', -1],
    ['10', '9', 1],
    ['123456789012345678', '123456789012345677', 1],
    ['42', '42', 0],
  ])('%s vs %s → %i', (x, y, sign) => {
    expect(Math.sign(compareIds(x, y))).toBe(sign);
  });
});
