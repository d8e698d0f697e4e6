import { SAMPLE_METRIC_NAMES, type SampleMetric } from '#domain';
import { AppError } from '../common/app-error.js';
import { TREND_BUCKET_NAMES, type TrendBucket } from '../clinical/trend-range.js';
import { metricsForCodeToken } from './fhir-codes.js';

/** Parsing of `GET /fhir/Observation` search parameters (pure). Unknown parameters are ignored (FHIR lenient handling). */
export const DEFAULT_COUNT = 100;
export const MAX_COUNT = 1000;

export interface ObservationSearch {
  patientId: string;
  metrics: SampleMetric[];
  /** Inclusive lower bound. */
  from?: Date;
  /** Exclusive upper bound. */
  to?: Date;
  count: number;
  bucket?: TrendBucket;
  cursor?: string;
}

type Query = Record<string, string | string[] | undefined>;

const DATE_VALUE =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2}))?)?)?$/;

/**
 * The instant range [start, end) a FHIR date value stands for: 2026 is the whole year,
 * 2026-11-23 the whole day (UTC), 2026-11-23T10:00:00Z that second.
 */
export function dateValueRange(value: string): { start: Date; end: Date } {
  const m = DATE_VALUE.exec(value);
  if (!m) throw bad(`invalid date value "${value}"`);
  const [, y, mo, d, hh, , ss, frac] = m;
  if (hh !== undefined) {
    const start = new Date(value);
    if (Number.isNaN(start.getTime())) throw bad(`invalid date value "${value}"`);
    const stepMs = frac !== undefined ? Math.max(1, 10 ** (3 - Math.min(3, frac.length))) : ss !== undefined ? 1000 : 60_000;
    return { start, end: new Date(start.getTime() + stepMs) };
  }
  const year = Number(y);
  const month = mo !== undefined ? Number(mo) - 1 : undefined;
  const day = d !== undefined ? Number(d) : undefined;
  if (month !== undefined && (month < 0 || month > 11)) throw bad(`invalid date value "${value}"`);
  if (day !== undefined) {
    const start = new Date(Date.UTC(year, month!, day));
    if (start.getUTCDate() !== day) throw bad(`invalid date value "${value}"`);
    return { start, end: new Date(Date.UTC(year, month!, day + 1)) };
  }
  if (month !== undefined) return { start: new Date(Date.UTC(year, month, 1)), end: new Date(Date.UTC(year, month + 1, 1)) };
  return { start: new Date(Date.UTC(year, 0, 1)), end: new Date(Date.UTC(year + 1, 0, 1)) };
}

/** Combines `date` parameters (ANDed) into [from, to). Supports the eq, ge, gt, le and lt prefixes. */
export function dateBounds(values: string[]): { from?: Date; to?: Date } {
  let from: Date | undefined;
  let to: Date | undefined;
  const raise = (d: Date) => (from = !from || d > from ? d : from);
  const lower = (d: Date) => (to = !to || d < to ? d : to);
  for (const raw of values) {
    const m = /^(eq|ne|gt|lt|ge|le|sa|eb|ap)?(.*)$/.exec(raw)!;
    const prefix = m[1] ?? 'eq';
    const { start, end } = dateValueRange(m[2]!);
    switch (prefix) {
      case 'eq':
        raise(start);
        lower(end);
        break;
      case 'ge':
        raise(start);
        break;
      case 'gt':
        raise(end);
        break;
      case 'le':
        lower(end);
        break;
      case 'lt':
        lower(start);
        break;
      default:
        throw bad(`date prefix "${prefix}" is not supported (use eq, ge, gt, le, lt)`);
    }
  }
  return { from, to };
}

export function parseObservationSearch(query: Query): ObservationSearch {
  const patient = single(query, 'patient') ?? single(query, 'subject');
  if (!patient) throw bad('the patient parameter is required');
  const patientId = /(?:^|\/)Patient\/([^/]+)$/.exec(patient)?.[1] ?? patient;

  let metrics: SampleMetric[] = [...SAMPLE_METRIC_NAMES];
  for (const code of list(query, 'code')) {
    const matched = new Set(metricsForCodeToken(code));
    metrics = metrics.filter((m) => matched.has(m));
  }

  const { from, to } = dateBounds(list(query, 'date'));

  let count = DEFAULT_COUNT;
  const rawCount = single(query, '_count');
  if (rawCount !== undefined) {
    if (!/^\d+$/.test(rawCount) || Number(rawCount) < 1) throw bad('_count must be a positive integer');
    count = Math.min(MAX_COUNT, Number(rawCount));
  }

  const rawBucket = single(query, 'bucket');
  if (rawBucket !== undefined && !(TREND_BUCKET_NAMES as string[]).includes(rawBucket)) {
    throw bad(`bucket must be one of ${TREND_BUCKET_NAMES.join(', ')}`);
  }
  const cursor = single(query, '_cursor');
  return { patientId, metrics, from, to, count, bucket: rawBucket as TrendBucket | undefined, cursor };
}

function list(query: Query, name: string): string[] {
  const v = query[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function single(query: Query, name: string): string | undefined {
  const values = list(query, name);
  if (values.length > 1) throw bad(`${name} may be given once`);
  return values[0];
}

function bad(message: string): AppError {
  return new AppError('BAD_REQUEST', message);
}

/** Keyset cursors: opaque to clients (base64url JSON). */
export function encodeCursor(value: unknown[]): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor(cursor: string, shape: readonly ('string' | 'number')[]): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad('invalid _cursor');
  }
  if (!Array.isArray(value) || value.length !== shape.length || value.some((v, i) => typeof v !== shape[i])) throw bad('invalid _cursor');
  return value;
}
