import { describe, expect, it } from '@jest/globals';
import { HELP, num, OPTIONS, parse } from './args.js';

describe('CLI arguments', () => {
  it('--help documents every option', () => {
    for (const name of Object.keys(OPTIONS)) expect(HELP).toContain(`--${name}`);
  });

  it('parses the issue example and refuses unknown options', () => {
    expect(parse(['--patients', '50', '--scenario', 'mixed']).values).toMatchObject({ patients: '50', scenario: 'mixed' });
    expect(() => parse(['--nope'])).toThrow();
  });

  it.each([
    [undefined, 7, 7],
    ['3', 0, 3],
    ['-1.5', 0, -1.5],
  ])('num(%s) with fallback %d → %d', (raw, fallback, expected) => {
    expect(num(raw, 'x', fallback)).toBe(expected);
  });

  it.each([
    ['abc', {}, /must be a number/],
    ['1.5', { integer: true }, /must be an integer/],
    ['0', { min: 1 }, /at least 1/],
    ['5000', { max: 1000 }, /at most 1000/],
  ])('num(%s, %j) refuses', (raw, opts, message) => {
    expect(() => num(raw, 'x', 0, opts)).toThrow(message);
  });
});
