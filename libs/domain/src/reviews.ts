/**
 * When a patient under telemonitoring is due a review (the operator's documented analysis of the
 * data, LATM): `cadenceDays` after the latest review, or after the episode began when there is
 * none yet. Overdue once that time has passed. Times are epoch milliseconds (no clock here).
 */
export function reviewDue(lastReviewAt: number | null, episodeStartedAt: number, cadenceDays: number, now: number): { dueAt: number; overdue: boolean } {
  const from = lastReviewAt !== null && lastReviewAt > episodeStartedAt ? lastReviewAt : episodeStartedAt;
  const dueAt = from + cadenceDays * 86_400_000;
  return { dueAt, overdue: now > dueAt };
}
