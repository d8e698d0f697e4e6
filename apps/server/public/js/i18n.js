// The pages' language (French or English, no build step). The browser's preferred language
// decides unless the user picked one with the switch, which is remembered on this browser.
// Messages live per area in ./messages/*.js and are added by the page that uses them; a key
// missing in French falls back to English, and a key missing in both shows itself, so a test
// that looks for raw keys on a page catches it.

export const LANGUAGES = ['fr', 'en'];
const STORAGE_KEY = 'tm.lang';
const catalogues = { fr: {}, en: {} };
const listeners = new Set();
let language = 'en';

/** `{ en: { key: text }, fr: { key: text } }`; later additions win over earlier ones. */
export function addMessages(messages) {
  for (const lang of LANGUAGES) Object.assign(catalogues[lang], messages[lang] ?? {});
}

/** The stored choice if it is one of ours, else the first browser language we speak, else English. */
export function pickLanguage(stored, browserLanguages) {
  if (LANGUAGES.includes(stored)) return stored;
  for (const tag of browserLanguages ?? []) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (LANGUAGES.includes(base)) return base;
  }
  return 'en';
}

export function currentLanguage() {
  return language;
}

/** The message of `key` in the current language, with `{name}` replaced by `vars.name`. */
export function t(key, vars) {
  const text = catalogues[language][key] ?? catalogues.en[key] ?? key;
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

/** Numbers and dates in the page's language (a French nurse reads 92,5 and 08/12/2026). */
export function formatNumber(n, options) {
  return new Intl.NumberFormat(language === 'fr' ? 'fr-FR' : 'en-GB', options).format(n);
}
export function formatDateTime(value, options = { dateStyle: 'short', timeStyle: 'short' }) {
  return new Date(value).toLocaleString(language === 'fr' ? 'fr-FR' : 'en-GB', options);
}

/**
 * Fills the static text of a page: `data-i18n="key"` sets the text, `data-i18n-attr="attr:key;…"`
 * sets attributes (placeholder, aria-label, title). Also sets <html lang>.
 */
export function applyTranslations(root = document) {
  if (root === document) document.documentElement.lang = language;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':').map((s) => s.trim());
      if (attr && key) el.setAttribute(attr, t(key));
    }
  }
}

/** Called after a language change, so a page re-renders what it built from data. */
export function onLanguageChange(listener) {
  listeners.add(listener);
}

export function setLanguage(lang) {
  if (!LANGUAGES.includes(lang) || lang === language) return;
  language = lang;
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // private browsing: the choice lasts for this page only
  }
  applyTranslations();
  for (const listener of listeners) listener(lang);
}

/** Reads the stored choice and the browser's languages; call once before rendering. */
export function initLanguage() {
  let stored;
  try {
    stored = localStorage.getItem(STORAGE_KEY);
  } catch {
    stored = null; // storage refused (private browsing): the browser's languages decide
  }
  language = pickLanguage(stored, navigator.languages?.length ? navigator.languages : [navigator.language]);
  applyTranslations();
  return language;
}

/** A "Français | English" select in `container` (keyboard-usable, labelled in both languages). */
export function mountLanguageSwitch(container) {
  const select = document.createElement('select');
  select.id = 'language-switch';
  select.setAttribute('aria-label', 'Langue / Language');
  for (const [value, label] of [['fr', 'Français'], ['en', 'English']]) {
    const option = document.createElement('option');
    option.value = value;
    option.textContent = label;
    option.lang = value;
    select.append(option);
  }
  select.value = language;
  select.addEventListener('change', () => setLanguage(select.value));
  onLanguageChange((lang) => {
    select.value = lang;
  });
  container.append(select);
  return select;
}

/** For tests: every key of one language that the other lacks. */
export function missingKeys() {
  const fr = new Set(Object.keys(catalogues.fr));
  const en = new Set(Object.keys(catalogues.en));
  return { fr: [...en].filter((k) => !fr.has(k)), en: [...fr].filter((k) => !en.has(k)) };
}

/** For tests: switch without the DOM. */
export function useLanguageForTest(lang) {
  language = lang;
}
