import type { ParsedSample, ParsedSession, ReadingsPayload, SamplePayload, SessionPayload } from '#protocol';

export type TimestampFormat = 'epoch' | 'iso';

function stamp(ms: number, format: TimestampFormat): string | number {
  return format === 'iso' ? new Date(ms).toISOString() : ms;
}

/** A sample as the device writes it: its own clock (true time + skew), signalOk only when false. */
export function toSamplePayload(s: ParsedSample, format: TimestampFormat, skewMs = 0): SamplePayload {
  const out: SamplePayload = { at: stamp(s.at + skewMs, format), ...s.values };
  if (!s.signalOk) out.signalOk = false;
  return out;
}

export function toSessionPayload(s: ParsedSession, skewMs = 0): SessionPayload {
  return { start: stamp(s.start + skewMs, 'iso'), end: stamp(s.end + skewMs, 'iso'), ...s.values };
}

/** The readings message of CONTRACT.md §1. */
export function toReadingsPayload(
  samples: readonly ParsedSample[],
  sessions: readonly ParsedSession[],
  seq: number,
  format: TimestampFormat,
  skewMs = 0,
): ReadingsPayload {
  const payload: ReadingsPayload = { v: 1, seq };
  if (samples.length > 0) payload.samples = samples.map((s) => toSamplePayload(s, format, skewMs));
  if (sessions.length > 0) payload.sessions = sessions.map((s) => toSessionPayload(s, skewMs));
  return payload;
}
