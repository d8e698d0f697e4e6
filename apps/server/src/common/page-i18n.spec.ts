import { describe, expect, it } from '@jest/globals';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PUBLIC_DIR } from '../paths.js';
// The pages' own module (plain JS served as is).
import { addMessages, pickLanguage, t, useLanguageForTest } from '../../public/js/i18n.js';

describe('page language', () => {
  it('takes the stored choice, else the first browser language we speak, else English', () => {
    expect(pickLanguage('fr', ['en-GB'])).toBe('fr');
    expect(pickLanguage(null, ['de-DE', 'fr-CA', 'en'])).toBe('fr');
    expect(pickLanguage('xx', ['en-US'])).toBe('en');
    expect(pickLanguage(null, ['de'])).toBe('en');
    expect(pickLanguage(null, undefined)).toBe('en');
  });

  it('falls back to English, then to the key, and fills {placeholders}', () => {
    addMessages({ en: { 'test.only-en': 'Only {n} in English', 'test.both': 'Both' }, fr: { 'test.both': 'Les deux' } });
    useLanguageForTest('fr');
    expect(t('test.both')).toBe('Les deux');
    expect(t('test.only-en', { n: 3 })).toBe('Only 3 in English');
    expect(t('test.unknown')).toBe('test.unknown');
    useLanguageForTest('en');
    expect(t('test.both')).toBe('Both');
  });
});

// Every message file gives each text in both languages: a nurse never meets an English
// sentence on a French page because one was forgotten.
describe('page messages', () => {
  const dir = join(PUBLIC_DIR, 'js', 'messages');
  const files = readdirSync(dir).filter((f) => f.endsWith('.js'));

  it('exist', () => {
    expect(files).toContain('common.js');
  });

  it.each(files)('%s has the same keys in French and in English, none empty', async (file) => {
    const module = (await import(pathToFileURL(join(dir, file)).href)) as Record<string, unknown>;
    const catalogues = Object.values(module) as Array<{ en?: Record<string, string>; fr?: Record<string, string> }>;
    expect(catalogues.length).toBeGreaterThan(0);
    for (const catalogue of catalogues) {
      const en = Object.keys(catalogue.en ?? {}).sort();
      const fr = Object.keys(catalogue.fr ?? {}).sort();
      expect(fr).toEqual(en);
      expect(en.length).toBeGreaterThan(0);
      for (const text of [...Object.values(catalogue.en ?? {}), ...Object.values(catalogue.fr ?? {})]) {
        expect(text.trim()).not.toBe('');
      }
    }
  });
});
