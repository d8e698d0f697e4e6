import {
  isSampleMetric,
  SAMPLE_METRICS,
  SESSION_FIELDS,
  sendsSessions,
  type SampleMetric,
  type SessionField,
} from '#domain';
import type { ItemRejectionReason, MessageRejectionReason } from './rejections.js';

/** Limits of CONTRACT.md §1. */
export const MAX_PAYLOAD_BYTES = 256 * 1024;
export const MAX_SAMPLES_PER_MESSAGE = 1000;
export const MAX_SESSIONS_PER_MESSAGE = 62;
export const PROTOCOL_VERSION = 1;

/** What a device sends (the simulator builds these; the backend parses them). */
export interface SamplePayload extends Partial<Record<SampleMetric, number>> {
  at: string | number;
  signalOk?: boolean;
}

export interface SessionPayload extends Partial<Record<SessionField, number>> {
  start: string | number;
  end: string | number;
}

export interface ReadingsPayload {
  v: 1;
  seq?: number;
  samples?: SamplePayload[];
  sessions?: SessionPayload[];
}

export interface StatusPayload {
  online: boolean;
  battery?: number;
  firmware?: string;
}

export interface ParsedSample {
  at: number;
  values: Partial<Record<SampleMetric, number>>;
  signalOk: boolean;
}

export interface ParsedSession {
  start: number;
  end: number;
  values: Partial<Record<SessionField, number>>;
}

/** One rejected part of an otherwise accepted message. `index` is null for a message-level field. */
export interface ItemRejection {
  kind: 'sample' | 'session' | 'message';
  index: number | null;
  reason: ItemRejectionReason;
  detail: string;
}

export type ParseResult =
  | { ok: false; reason: MessageRejectionReason; detail: string }
  | { ok: true; seq: number | undefined; samples: ParsedSample[]; sessions: ParsedSession[]; rejected: ItemRejection[] };

export interface TimeWindow {
  /** The receiver's clock (epoch ms): parsing never reads the clock itself. */
  nowMs: number;
  /** Oldest accepted timestamp is nowMs - backfillHorizonMs (devices upload backlogs late). */
  backfillHorizonMs: number;
  /** Newest accepted timestamp is nowMs + futureSkewMs (device clock skew). */
  futureSkewMs: number;
}

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const TOP_LEVEL_KEYS = new Set(['v', 'seq', 'samples', 'sessions']);

/** A timestamp of the contract (ISO-8601 with offset, or epoch ms) → epoch ms, or why not. */
export function parseTimestamp(
  raw: unknown,
  window: TimeWindow,
): { ok: true; ms: number } | { ok: false; reason: 'bad-timestamp' | 'timestamp-in-future' | 'timestamp-too-old'; detail: string } {
  let ms: number;
  if (typeof raw === 'number') {
    if (!Number.isInteger(raw) || raw <= 0) return { ok: false, reason: 'bad-timestamp', detail: 'epoch milliseconds must be a positive integer' };
    ms = raw;
  } else if (typeof raw === 'string' && ISO_WITH_OFFSET.test(raw)) {
    ms = Date.parse(raw);
    if (Number.isNaN(ms)) return { ok: false, reason: 'bad-timestamp', detail: 'not a valid date' };
  } else {
    return { ok: false, reason: 'bad-timestamp', detail: 'expected ISO-8601 with offset or epoch milliseconds' };
  }
  if (ms > window.nowMs + window.futureSkewMs) return { ok: false, reason: 'timestamp-in-future', detail: `${ms - window.nowMs} ms ahead` };
  if (ms < window.nowMs - window.backfillHorizonMs) return { ok: false, reason: 'timestamp-too-old', detail: 'older than the backfill horizon' };
  return { ok: true, ms };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseSample(raw: unknown, window: TimeWindow): { ok: true; sample: ParsedSample } | { ok: false; reason: ItemRejectionReason; detail: string } {
  if (!isPlainObject(raw)) return { ok: false, reason: 'malformed-sample', detail: 'a sample must be an object' };
  const at = parseTimestamp(raw.at, window);
  if (!at.ok) return at;
  const values: Partial<Record<SampleMetric, number>> = {};
  let signalOk = true;
  let count = 0;
  for (const key in raw) {
    if (key === 'at') continue;
    const value = raw[key];
    if (key === 'signalOk') {
      if (typeof value !== 'boolean') return { ok: false, reason: 'bad-value', detail: 'signalOk must be a boolean' };
      signalOk = value;
      continue;
    }
    if (!isSampleMetric(key)) return { ok: false, reason: 'unknown-field', detail: key.slice(0, 64) };
    if (typeof value !== 'number' || !Number.isFinite(value)) return { ok: false, reason: 'bad-value', detail: `${key} must be a number` };
    const def = SAMPLE_METRICS[key];
    if (value < def.min || value > def.max) return { ok: false, reason: 'out-of-range', detail: `${key}=${value} outside ${def.min}–${def.max}` };
    values[key] = value;
    count++;
  }
  if (count === 0) return { ok: false, reason: 'empty-sample', detail: 'no metric in sample' };
  return { ok: true, sample: { at: at.ms, values, signalOk } };
}

function parseSession(raw: unknown, window: TimeWindow, kind: string | undefined): { ok: true; session: ParsedSession } | { ok: false; reason: ItemRejectionReason; detail: string } {
  if (!isPlainObject(raw)) return { ok: false, reason: 'bad-session', detail: 'a session must be an object' };
  const start = parseTimestamp(raw.start, window);
  if (!start.ok) return start;
  const end = parseTimestamp(raw.end, window);
  if (!end.ok) return end;
  if (end.ms <= start.ms || end.ms - start.ms > 24 * 3600_000) return { ok: false, reason: 'bad-session', detail: 'end must follow start, within 24 h' };
  const values: Partial<Record<SessionField, number>> = {};
  for (const key in raw) {
    if (key === 'start' || key === 'end') continue;
    if (!Object.prototype.hasOwnProperty.call(SESSION_FIELDS, key)) return { ok: false, reason: 'unknown-field', detail: key.slice(0, 64) };
    const value = raw[key];
    const def = SESSION_FIELDS[key as SessionField];
    if (kind !== undefined && def.kind !== kind) return { ok: false, reason: 'unknown-field', detail: `${key} is not a field of a ${kind} session` };
    if (typeof value !== 'number' || !Number.isFinite(value)) return { ok: false, reason: 'bad-value', detail: `${key} must be a number` };
    if (value < def.min || value > def.max) return { ok: false, reason: 'out-of-range', detail: `${key}=${value} outside ${def.min}–${def.max}` };
    values[key as SessionField] = value;
  }
  return { ok: true, session: { start: start.ms, end: end.ms, values } };
}

/**
 * Parses and validates one readings message. Whole-message faults (size, JSON, version, limits)
 * reject it; a bad sample or session is listed in `rejected` and the rest is kept.
 * `deviceKind` (the sender's registered kind, when known) checks the sessions against it: only
 * ventilators and concentrators send sessions, each with its own fields (SESSION_FIELDS' kind).
 */
export function parseReadingsPayload(payload: Uint8Array | string, window: TimeWindow, deviceKind?: string): ParseResult {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > MAX_PAYLOAD_BYTES) return { ok: false, reason: 'payload-too-large', detail: `${size} bytes > ${MAX_PAYLOAD_BYTES}` };
  let doc: unknown;
  try {
    doc = JSON.parse(typeof payload === 'string' ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed-json', detail: 'payload is not JSON' };
  }
  if (!isPlainObject(doc)) return { ok: false, reason: 'malformed-message', detail: 'payload must be a JSON object' };
  if (doc.v !== PROTOCOL_VERSION) return { ok: false, reason: 'unsupported-version', detail: `v must be ${PROTOCOL_VERSION}` };
  const { samples = [], sessions = [] } = doc as { samples?: unknown; sessions?: unknown };
  if (!Array.isArray(samples) || !Array.isArray(sessions)) return { ok: false, reason: 'malformed-message', detail: 'samples and sessions must be arrays' };
  if (samples.length > MAX_SAMPLES_PER_MESSAGE) return { ok: false, reason: 'too-many-samples', detail: `${samples.length} > ${MAX_SAMPLES_PER_MESSAGE}` };
  if (sessions.length > MAX_SESSIONS_PER_MESSAGE) return { ok: false, reason: 'too-many-samples', detail: `${sessions.length} sessions > ${MAX_SESSIONS_PER_MESSAGE}` };
  const seq = typeof doc.seq === 'number' && Number.isInteger(doc.seq) ? doc.seq : undefined;

  const rejected: ItemRejection[] = [];
  for (const key in doc) {
    if (!TOP_LEVEL_KEYS.has(key)) rejected.push({ kind: 'message', index: null, reason: 'unknown-field', detail: key.slice(0, 64) });
  }
  const parsedSamples: ParsedSample[] = [];
  for (let i = 0; i < samples.length; i++) {
    const r = parseSample(samples[i], window);
    if (r.ok) parsedSamples.push(r.sample);
    else rejected.push({ kind: 'sample', index: i, reason: r.reason, detail: r.detail });
  }
  const parsedSessions: ParsedSession[] = [];
  const noSessions = deviceKind !== undefined && !sendsSessions(deviceKind);
  for (let i = 0; i < sessions.length; i++) {
    if (noSessions) {
      rejected.push({ kind: 'session', index: i, reason: 'bad-session', detail: 'sessions are accepted from ventilators and concentrators only' });
      continue;
    }
    const r = parseSession(sessions[i], window, deviceKind);
    if (r.ok) parsedSessions.push(r.session);
    else rejected.push({ kind: 'session', index: i, reason: r.reason, detail: r.detail });
  }
  return { ok: true, seq, samples: parsedSamples, sessions: parsedSessions, rejected };
}

/** The status message (retained; also the Last Will `{"online": false}`). */
export function parseStatusPayload(payload: Uint8Array | string): { ok: true; status: StatusPayload } | { ok: false; reason: 'bad-status'; detail: string } {
  const size = typeof payload === 'string' ? payload.length : payload.byteLength;
  if (size > 4096) return { ok: false, reason: 'bad-status', detail: 'status payload too large' };
  let doc: unknown;
  try {
    doc = JSON.parse(typeof payload === 'string' ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
  } catch {
    return { ok: false, reason: 'bad-status', detail: 'status is not JSON' };
  }
  if (!isPlainObject(doc) || typeof doc.online !== 'boolean') return { ok: false, reason: 'bad-status', detail: 'online must be a boolean' };
  const status: StatusPayload = { online: doc.online };
  if (doc.battery !== undefined) {
    if (typeof doc.battery !== 'number' || doc.battery < 0 || doc.battery > 100) return { ok: false, reason: 'bad-status', detail: 'battery must be 0–100' };
    status.battery = Math.round(doc.battery);
  }
  if (doc.firmware !== undefined) {
    if (typeof doc.firmware !== 'string' || !/^[0-9A-Za-z.+-]{1,32}$/.test(doc.firmware)) return { ok: false, reason: 'bad-status', detail: 'firmware must be a short version string' };
    status.firmware = doc.firmware;
  }
  return { ok: true, status };
}
