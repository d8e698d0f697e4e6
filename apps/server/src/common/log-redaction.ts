/**
 * Query parameters whose values are logged as sent: enumerations, dates, counts and paging
 * cursors over alert ids, none of which identifies a person. Every other value (tokens, usernames,
 * INS, patient or device ids, free search text...) is written `[redacted]` (issue 21 §4,
 * docs/security.md "Logs"). Paths are logged whole: they carry pseudonymous ids only (patient and
 * alert UUIDs or numbers, device serials), which STYLE.md §7 allows.
 */
export const LOGGED_QUERY_KEYS = new Set([
  'metric',
  'bucket',
  'status',
  'days',
  'from',
  'to',
  'since',
  'date',
  'month',
  'format',
  'code',
  '_count',
  'limit',
  'beforeId',
  'afterId',
]);

export const REDACTED = '[redacted]';
const MAX_KEY_LENGTH = 64;

/** The request URL as logged: the path, and each query parameter with its value or `[redacted]`. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = url
    .slice(q + 1)
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      const rawKey = eq < 0 ? part : part.slice(0, eq);
      const key = rawKey.length > MAX_KEY_LENGTH ? `${rawKey.slice(0, MAX_KEY_LENGTH)}…` : rawKey;
      if (eq < 0) return key;
      return LOGGED_QUERY_KEYS.has(decodeKey(rawKey)) ? part : `${key}=${REDACTED}`;
    });
  return `${url.slice(0, q)}?${params.join('&')}`;
}

function decodeKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return key;
  }
}
