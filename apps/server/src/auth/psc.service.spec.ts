import { describe, expect, it } from '@jest/globals';
import { rppsOf } from './psc.service.js';

describe("rppsOf: the RPPS in Pro Santé Connect's national identifier", () => {
  it.each([
    ['899700218896', '99700218896'],
    ['99700218896', '99700218896'],
    ['0B0012345', undefined], // an ADELI-based identifier: no RPPS
    ['8997002188961', undefined],
    ['', undefined],
    [12345678901, undefined],
    [undefined, undefined],
  ])('%p → %p', (id, rpps) => {
    expect(rppsOf(id)).toBe(rpps);
  });
});
