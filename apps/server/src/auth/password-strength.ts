import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as fr from '@zxcvbn-ts/language-fr';

/** zxcvbn's scale: 0 (guessed at once) … 4 (very unlikely); 3 ≈ 10^10 guesses, safe against an online attack and a slow hash. */
export const MIN_PASSWORD_SCORE = 3;
/** Words any password of this product is likely to be built from. */
const PRODUCT_WORDS = ['telemonitoring', 'telesurveillance', 'télésurveillance', 'respiratory', 'respiratoire', 'console', 'nurse', 'infirmiere', 'infirmière'];

let estimator: ZxcvbnFactory | undefined;

/** Built on first use: the dictionaries (French and common passwords, names, words) take a moment to load. */
function factory(): ZxcvbnFactory {
  estimator ??= new ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...fr.dictionary },
    graphs: common.adjacencyGraphs,
    translations: fr.translations,
    useLevenshteinDistance: true,
  });
  return estimator;
}

export interface PasswordVerdict {
  ok: boolean;
  score: number;
  /** zxcvbn's hint (French), for the admin who chose the password. */
  warning?: string;
}

/**
 * Scores a password with zxcvbn-ts (maintained, dictionary- and pattern-aware): repeats
 * (`aaaaaaaaaaaa`), common passwords with digits (`password123456`), keyboard walks, dates, and the
 * user's own name or the product's name count for little.
 */
export function checkPasswordStrength(password: string, userInputs: string[]): PasswordVerdict {
  const inputs = [...userInputs.flatMap((u) => [u, ...u.split(/[._@-]+/)]).filter((u) => u.length >= 3), ...PRODUCT_WORDS];
  const result = factory().check(password, inputs);
  return { ok: result.score >= MIN_PASSWORD_SCORE, score: result.score, ...(result.feedback.warning ? { warning: result.feedback.warning } : {}) };
}
