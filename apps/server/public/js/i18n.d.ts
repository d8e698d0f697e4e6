// Types of i18n.js for the TypeScript unit tests (the page itself needs no build step).
export type Language = 'fr' | 'en';
export type Messages = Partial<Record<Language, Record<string, string>>>;
export declare const LANGUAGES: Language[];
export declare function addMessages(messages: Messages): void;
export declare function pickLanguage(stored: string | null, browserLanguages: readonly string[] | undefined): Language;
export declare function currentLanguage(): Language;
export declare function t(key: string, vars?: Record<string, string | number>): string;
export declare function formatNumber(n: number, options?: Intl.NumberFormatOptions): string;
export declare function formatDateTime(value: string | number | Date, options?: Intl.DateTimeFormatOptions): string;
export declare function applyTranslations(root?: ParentNode): void;
export declare function onLanguageChange(listener: (lang: Language) => void): void;
export declare function setLanguage(lang: Language): void;
export declare function initLanguage(): Language;
export declare function mountLanguageSwitch(container: Element): HTMLSelectElement;
export declare function missingKeys(): { fr: string[]; en: string[] };
export declare function useLanguageForTest(lang: Language): void;
