import { describe, expect, it } from '@jest/globals';
import { checkPasswordStrength } from './password-strength.js';

describe('checkPasswordStrength (zxcvbn-ts, French and common dictionaries)', () => {
  it.each([
    ['aaaaaaaaaaaa'],
    ['password123456'],
    ['azertyuiop123'],
    ['motdepasse2026'],
    ['telemonitoring1'],
    ['Marie.Dupont2026'],
    ['123456789012'],
  ])('refuses %s', (password) => {
    expect(checkPasswordStrength(password, ['marie.dupont']).ok).toBe(false);
  });

  it.each([['correct-horse-5f0c1f3a-2b7e-4c8e'], ['Violet-Harbour-Quartz-91'], ['pw-0b8f4c1e-8d5a-4f0e-9a43-2f5e7d9c1b6a']])('accepts %s', (password) => {
    expect(checkPasswordStrength(password, ['marie.dupont']).ok).toBe(true);
  });
});
