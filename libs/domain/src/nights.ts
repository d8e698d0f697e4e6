/**
 * Which time window is "the night" of a given date, and what the ventilator said about it (pure).
 *
 * A night is named by the local date of its evening. Its window comes from the ventilation
 * sessions assigned to it (earliest start to latest end); with no session, the default window is
 * 20:00–08:00 in the patient's timezone (the caller computes both, since timezones are data).
 * Several sessions in one night (mask taken off and put back) are merged: usage hours add up, the
 * 95th-percentile leak is the worst session's, and the other medians are usage-weighted means
 * (a plain mean when usage is unknown).
 */
export interface VentilationSession {
  start: number;
  end: number;
  usageHours: number | null;
  leakP95: number | null;
  ahi: number | null;
  respRateMedian: number | null;
  tidalVolumeMedian: number | null;
  minuteVentilationMedian: number | null;
  triggeredBreathsPct: number | null;
}

export interface NightWindow {
  /** Local date of the evening, YYYY-MM-DD. */
  night: string;
  /** Epoch ms. */
  start: number;
  end: number;
  source: 'session' | 'default';
  /** Merged sessions of the night; null when there was none. */
  ventilation: Omit<VentilationSession, 'start' | 'end'> & { sessions: number } | null;
}

export interface DefaultNightWindow {
  night: string;
  start: number;
  end: number;
}

type WeightedField = 'ahi' | 'respRateMedian' | 'tidalVolumeMedian' | 'minuteVentilationMedian' | 'triggeredBreathsPct';
const WEIGHTED_FIELDS: readonly WeightedField[] = ['ahi', 'respRateMedian', 'tidalVolumeMedian', 'minuteVentilationMedian', 'triggeredBreathsPct'];

/** Merges the sessions of one night (at least one). */
export function mergeSessions(sessions: readonly VentilationSession[]): NonNullable<NightWindow['ventilation']> & { start: number; end: number } {
  if (sessions.length === 0) throw new Error('mergeSessions needs at least one session');
  const known = (xs: (number | null)[]) => xs.filter((x): x is number => x !== null && Number.isFinite(x));
  const usages = known(sessions.map((s) => s.usageHours));
  const leaks = known(sessions.map((s) => s.leakP95));
  const merged = {
    start: Math.min(...sessions.map((s) => s.start)),
    end: Math.max(...sessions.map((s) => s.end)),
    sessions: sessions.length,
    usageHours: usages.length ? usages.reduce((a, b) => a + b, 0) : null,
    leakP95: leaks.length ? Math.max(...leaks) : null,
  } as NonNullable<NightWindow['ventilation']> & { start: number; end: number };
  for (const field of WEIGHTED_FIELDS) merged[field] = weightedMean(sessions, field);
  return merged;
}

function weightedMean(sessions: readonly VentilationSession[], field: WeightedField): number | null {
  const withValue = sessions.filter((s) => s[field] !== null && Number.isFinite(s[field]));
  if (withValue.length === 0) return null;
  const allWeighted = withValue.every((s) => s.usageHours !== null && s.usageHours > 0);
  if (!allWeighted) return withValue.reduce((a, s) => a + s[field]!, 0) / withValue.length;
  const totalUsage = withValue.reduce((a, s) => a + s.usageHours!, 0);
  return withValue.reduce((a, s) => a + s[field]! * s.usageHours!, 0) / totalUsage;
}

/**
 * One window per default night, in the order given: the merged sessions' window when the night
 * has sessions, the default window otherwise. Sessions of nights not listed are ignored.
 */
export function planNights(
  defaults: readonly DefaultNightWindow[],
  sessions: readonly (VentilationSession & { night: string })[],
): NightWindow[] {
  const byNight = new Map<string, VentilationSession[]>();
  for (const s of sessions) {
    const list = byNight.get(s.night) ?? [];
    list.push(s);
    byNight.set(s.night, list);
  }
  return defaults.map((d) => {
    const own = byNight.get(d.night);
    if (!own?.length) return { night: d.night, start: d.start, end: d.end, source: 'default', ventilation: null };
    const { start, end, ...ventilation } = mergeSessions(own);
    return { night: d.night, start, end, source: 'session', ventilation };
  });
}
