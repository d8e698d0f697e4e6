import { describe, expect, it } from '@jest/globals';
import { AlertActionDto, parsePayload } from '../console/console.dto.js';
import { AppError } from './app-error.js';
import { assertNoControlCharacters, findControlCharacter } from './control-characters.js';
import { assertNoPrototypeKeys, findPrototypeKey } from './prototype-keys.js';

describe('control characters in text input (issue 21 §4)', () => {
  it.each([
    ['NUL', '\u0000'],
    ['BEL', '\u0007'],
    ['backspace', '\u0008'],
    ['vertical tab', '\u000b'],
    ['form feed', '\u000c'],
    ['shift out', '\u000e'],
    ['escape', '\u001b'],
    ['unit separator', '\u001f'],
    ['DEL', '\u007f'],
  ])('refuses %s anywhere in a string', (_name, c) => {
    expect(findControlCharacter(`Dupont${c}`, 'body')).toBe('body');
    expect(findControlCharacter({ identity: { firstNames: ['Jean', `${c}x`] } }, 'body')).toBe('body.identity.firstNames[1]');
  });

  it.each([
    ['tab', '\t'],
    ['line feed', '\n'],
    ['carriage return', '\r'],
    ['accented letters and emoji', 'Élodie 😀'],
    ['C1 range and beyond', '\u0085\u00a0\u2028'],
  ])('accepts %s', (_name, text) => {
    expect(findControlCharacter({ note: `line 1${text}line 2`, n: 3, ok: true, none: null }, 'body')).toBeUndefined();
  });

  it('refuses a key holding one, naming it escaped', () => {
    expect(findControlCharacter({ a: { 'b\u0000': 1 } }, 'query')).toBe('query.a."b\\u0000"');
  });

  it('throws VALIDATION_FAILED naming the field, without the character', () => {
    let error: unknown;
    try {
      assertNoControlCharacters({ displayName: 'A\u0000B' }, 'body');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('VALIDATION_FAILED');
    expect((error as AppError).message).toMatch(/^body\.displayName must not contain control characters/);
    expect((error as AppError).message).not.toContain('\u0000');
  });

  it('is safe on deep values', () => {
    let deep: unknown = 'x\u0000';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findControlCharacter(deep, 'body')).toMatch(/^body(\[0\])+$/);
  });

  it('applies to console socket messages (parsePayload)', () => {
    expect(() => parsePayload(AlertActionDto, { id: '12', note: 'ok\nfine' })).not.toThrow();
    expect(() => parsePayload(AlertActionDto, { id: '12', note: 'bad\u0000' })).toThrow(/payload\.note must not contain control characters/);
  });
});

describe('prototype keys in request bodies (issue 21 §4)', () => {
  it.each([
    ['__proto__ at the top', JSON.parse('{"__proto__": {}}'), 'body.__proto__'],
    ['constructor nested', { 'spo2.low': { constructor: 1 } }, 'body.spo2.low.constructor'],
    ['prototype in an array item', { items: [{ ok: 1 }, { prototype: {} }] }, 'body.items[1].prototype'],
  ])('finds %s', (_name, value, path) => {
    expect(findPrototypeKey(value, 'body')).toBe(path);
    expect(() => assertNoPrototypeKeys(value, 'body')).toThrow(`${path}: unknown key`);
  });

  it('accepts ordinary keys and values named like them', () => {
    expect(findPrototypeKey({ note: '__proto__', proto: 1, constructors: [] }, 'body')).toBeUndefined();
  });
});
