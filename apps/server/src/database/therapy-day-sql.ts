/**
 * SQL fragments that define a therapy day's statistics once, for every query that computes them
 * (GET /days: TherapyDataRepository; the niv.leak rule on the median or mean: RuleDataRepository).
 * Over `readings` rows (columns `metric`, `value`), valid samples only (the caller filters
 * `signal_ok`).
 */

/** The 24 h leak median of the leak samples (L/min). */
export const LEAK_MEDIAN_OF_SAMPLES = `percentile_cont(0.5) WITHIN GROUP (ORDER BY value) FILTER (WHERE metric = 'leak')`;

/** The 24 h leak mean of the leak samples (L/min). */
export const LEAK_MEAN_OF_SAMPLES = `avg(value) FILTER (WHERE metric = 'leak')`;
