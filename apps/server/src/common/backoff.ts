/**
 * Exponential back-off with ±20 % jitter, so that several retriers (writers, connections,
 * device lookups) do not retry in step.
 */
export function backoff(attempt: number, initialMs: number, maxMs: number, random = Math.random): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(attempt - 1, 20));
  return Math.round(base * (0.8 + 0.4 * random()));
}
