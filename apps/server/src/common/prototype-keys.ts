import { AppError } from './app-error.js';

/**
 * Keys Nest's ValidationPipe deletes from a body before validation (stripProtoKeys), so a request
 * carrying one was answered as if the key were absent: `PUT thresholds {"__proto__": {}}` replaced
 * the saved settings with none (issue 21 §4). No document of this API has such a key; refusing it
 * says so instead of guessing what the client meant.
 */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** The path of the first own key named `__proto__`, `constructor` or `prototype`, at any depth. */
export function findPrototypeKey(value: unknown, root: string): string | undefined {
  const stack: { value: unknown; path: string }[] = [{ value, path: root }];
  while (stack.length > 0) {
    const { value: v, path } = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (Array.isArray(v)) {
      v.forEach((item, i) => stack.push({ value: item, path: `${path}[${i}]` }));
      continue;
    }
    for (const [key, child] of Object.entries(v)) {
      if (PROTOTYPE_KEYS.has(key)) return `${path}.${key}`;
      stack.push({ value: child, path: `${path}.${key}` });
    }
  }
  return undefined;
}

export function assertNoPrototypeKeys(value: unknown, root: string): void {
  const field = findPrototypeKey(value, root);
  if (field !== undefined) {
    const message = `${field}: unknown key`;
    throw AppError.validation(message, { fields: [message] });
  }
}
