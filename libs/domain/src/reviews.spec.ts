import { describe, expect, it } from '@jest/globals';
import { reviewDue } from './reviews.js';

const DAY = 86_400_000;
const START = Date.parse('2026-11-01T11:00:00Z');

describe('reviewDue', () => {
  it.each([
    ['a review 6 days ago, cadence 7', START + DAY, START + 7 * DAY, 7, false, START + 8 * DAY],
    ['a review exactly 7 days ago is due, not overdue', START + DAY, START + 8 * DAY, 7, false, START + 8 * DAY],
    ['a review 7 days and a minute ago is overdue', START + DAY, START + 8 * DAY + 60_000, 7, true, START + 8 * DAY],
    ['no review: counted from the start of the episode', null, START + 7 * DAY + 1, 7, true, START + 7 * DAY],
    ['no review, episode begun 3 days ago', null, START + 3 * DAY, 7, false, START + 7 * DAY],
    ['a review older than the episode counts from the episode', START - 30 * DAY, START + 2 * DAY, 7, false, START + 7 * DAY],
    ['another cadence (14 days)', START + DAY, START + 10 * DAY, 14, false, START + 15 * DAY],
  ])('%s', (_case, last, now, cadence, overdue, dueAt) => {
    expect(reviewDue(last, START, cadence, now)).toEqual({ overdue, dueAt });
  });
});
