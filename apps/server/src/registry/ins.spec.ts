import { describe, expect, it } from '@jest/globals';
import { checkIns, insKey } from './ins.js';

describe('INS validation', () => {
  it.each([
    ['255081416802538', 'the usual published example'],
    ['185057800608491', 'mainland department'],
    ['185052A01512317', 'Corsica 2A read as 19'],
    ['185052B01512344', 'Corsica 2B read as 18'],
    ['299122B00000189', 'Corsica 2B, other person'],
    ['184052304512328', 'another mainland'],
  ])('accepts %s (%s)', (ins) => {
    expect(checkIns(ins)).toEqual({ ok: true });
  });

  it.each([
    ['255081416802539', 'key'],
    ['185052A01512344', 'key'], // the 2B key on a 2A number
    ['185052B01512317', 'key'],
    ['185057800608400', 'key'],
    ['25508141680253', 'format'], // 14 characters
    ['2550814168025388', 'format'], // 16 characters
    ['185052C01512317', 'format'],
    ['1850A2A01512317', 'format'], // letters outside the department
    ['185052a01512317', 'format'], // lower case
    ['18505 780060849', 'format'],
    ['', 'format'],
  ])('refuses %s (%s)', (ins, reason) => {
    expect(checkIns(ins)).toEqual({ ok: false, reason });
  });

  it('computes the key as 97 - (NIR mod 97) with the Corsica substitution', () => {
    expect(insKey('2550814168025')).toBe(38);
    expect(insKey('185052A015123')).toBe(97 - Number(1850519015123n % 97n));
    expect(insKey('185052B015123')).toBe(97 - Number(1850518015123n % 97n));
  });
});
