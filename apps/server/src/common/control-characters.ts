import { AppError } from './app-error.js';

/**
 * C0 control characters and DEL, except tab, line feed and carriage return (which free-text notes
 * may carry). One rule for every text input, names and ids included: simpler to state and to test
 * than one per field, and no identifier of this API has a tab or a line break in it that a
 * stricter rule would have to catch (ids are UUIDs, digits or patterned serials, validated by
 * their own DTO rules). A NUL reaching PostgreSQL is refused there as an encoding error (a 500);
 * the others end up in logs, PDFs and CSVs where they do harm (docs/security.md, issue 21 §4).
 */
// eslint-disable-next-line no-control-regex
export const FORBIDDEN_CONTROL_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

/**
 * The path (`body.identity.firstNames[0]`, `query.token`, a key's path) of the first string or
 * object key holding a forbidden control character, or undefined. Iterative: any depth is safe.
 */
export function findControlCharacter(value: unknown, root: string): string | undefined {
  const stack: { value: unknown; path: string }[] = [{ value, path: root }];
  while (stack.length > 0) {
    const { value: v, path } = stack.pop()!;
    if (typeof v === 'string') {
      if (FORBIDDEN_CONTROL_CHARACTERS.test(v)) return path;
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => stack.push({ value: item, path: `${path}[${i}]` }));
    } else if (typeof v === 'object' && v !== null) {
      for (const [key, child] of Object.entries(v)) {
        // The key itself is quoted escaped, so the message never carries the raw character.
        const childPath = `${path}.${FORBIDDEN_CONTROL_CHARACTERS.test(key) ? JSON.stringify(key) : key}`;
        if (FORBIDDEN_CONTROL_CHARACTERS.test(key)) return childPath;
        stack.push({ value: child, path: childPath });
      }
    }
  }
  return undefined;
}

/** Throws AppError VALIDATION_FAILED naming the field when `value` holds a forbidden control character. */
export function assertNoControlCharacters(value: unknown, root: string): void {
  const field = findControlCharacter(value, root);
  if (field !== undefined) {
    const message = `${field} must not contain control characters (U+0000–U+001F except tab, line feed, carriage return; U+007F)`;
    throw AppError.validation(message, { fields: [message] });
  }
}
