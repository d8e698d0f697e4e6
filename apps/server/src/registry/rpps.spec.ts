import { describe, expect, it } from '@jest/globals';
import { checkRpps } from './rpps.js';

describe('RPPS validation (11 digits, Luhn key)', () => {
  it.each([
    ['99700218896', 'an ANS test-card RPPS'],
    ['10003508818', 'a practitioner'],
    ['10000000009', 'key 9 after a single 1'],
  ])('accepts %s (%s)', (rpps) => {
    expect(checkRpps(rpps)).toEqual({ ok: true });
  });

  it.each([
    ['99700218897', 'key'],
    ['10003508881', 'key'], // two digits swapped
    ['10000000000', 'key'],
    ['1000350881', 'format'], // 10 digits
    ['100035088180', 'format'], // 12 digits
    ['1000350881A', 'format'],
    ['', 'format'],
  ])('refuses %s (%s)', (rpps, reason) => {
    expect(checkRpps(rpps)).toEqual({ ok: false, reason });
  });
});
