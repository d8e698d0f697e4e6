import type { DeviceKind, PatientProfile } from '#domain';
import { MAX_PAYLOAD_BYTES, MAX_SAMPLES_PER_MESSAGE, type ParsedSample, type ParsedSession, type ReadingsPayload } from '#protocol';
import { SCENARIOS, type ScenarioDefinition, type ScenarioId } from '../scenarios/scenario-catalogue.js';
import { offlineWindow, type Interval } from './episode.js';
import { anchorNightIndex, DEFAULT_NIGHT_START_HOUR_UTC, MINUTE_MS, nightIndexAt, planNight, type NightPlan } from './night-plan.js';
import { OximeterModel } from './oximeter.generator.js';
import { toReadingsPayload, type TimestampFormat } from './payload.js';
import { generateConcentratorDay } from './concentrator.generator.js';
import { generateVentilatorNight } from './ventilator.generator.js';

export interface DeviceStreamOptions {
  kind: DeviceKind;
  scenario: ScenarioId;
  /** Defaults to the scenario's profile. */
  profile?: PatientProfile;
  /** The patient's seed: devices of one patient share it (and so share the same nights). */
  seed: number;
  /** First data time (epoch ms). Data before `liveFrom` is history, sent as fast as acknowledged. */
  from: number;
  /** From here on the device sends in real time (the runner waits until each message's sendAt). */
  liveFrom: number;
  /** End of data, exclusive (default: endless). */
  to?: number;
  /** When the scenario's event happens (episode start, silence, offline window). Default liveFrom + 30 s. */
  eventAt?: number;
  /**
   * Oximeter sample spacing live (default 1000 ms: 1 Hz) and in history (default 30 000 ms);
   * the last `fullRateHistoryMs` of history (default 0) is at the live rate. The oximeter is
   * worn day and night, so every day's mean mixes day and night alike, history or live.
   */
  sampleIntervalMs?: number;
  historySampleIntervalMs?: number;
  fullRateHistoryMs?: number;
  /** A live oximeter publishes every batchMs (default 5000); a ventilator every ventilatorBatchMs (default 60 000). */
  batchMs?: number;
  ventilatorBatchMs?: number;
  /** History messages carry up to this many samples (default and maximum MAX_SAMPLES_PER_MESSAGE). */
  maxSamplesPerMessage?: number;
  /** Default: epoch ms for oximeters, ISO-8601 for ventilators (both are in the contract). */
  timestampFormat?: TimestampFormat;
  /** Overrides the scenario's clock skew / offline duration. */
  clockSkewMs?: number;
  offlineMs?: number;
  nightStartHourUtc?: number;
}

export interface PublishEvent {
  type: 'publish';
  /** When the device sends it (true time; the device's own clock only affects `at` fields). */
  sendAt: number;
  payload: ReadingsPayload;
  sampleCount: number;
  sessionCount: number;
  /** True time of the first and last sample or session end in the message. */
  firstAt: number;
  lastAt: number;
}

export type DeviceEvent =
  | PublishEvent
  /** The device drops off the network without a DISCONNECT (the broker publishes its Last Will). */
  | { type: 'disconnect'; at: number }
  | { type: 'reconnect'; at: number }
  /** The device stops for good at `at` (also off the network). */
  | { type: 'silent'; at: number };

export function eventTime(e: DeviceEvent): number {
  return e.type === 'publish' ? e.sendAt : e.at;
}

interface Chunk {
  sendAt: number;
  samples: ParsedSample[];
  sessions: ParsedSession[];
}

/** Everything the stream needs, resolved once. */
interface Resolved extends Required<Omit<DeviceStreamOptions, 'clockSkewMs' | 'offlineMs' | 'timestampFormat' | 'profile'>> {
  profile: PatientProfile;
  def: ScenarioDefinition;
  plan: (index: number) => NightPlan;
  offline: Interval | undefined;
  skewMs: number;
  format: TimestampFormat;
}

function resolve(o: DeviceStreamOptions): Resolved {
  const def = SCENARIOS[o.scenario];
  const profile = o.profile ?? def.profile;
  const nightStartHourUtc = o.nightStartHourUtc ?? DEFAULT_NIGHT_START_HOUR_UTC;
  const anchor = anchorNightIndex(o.liveFrom, nightStartHourUtc);
  const eventAt = o.eventAt ?? o.liveFrom + 30_000;
  const maxSamples = Math.min(o.maxSamplesPerMessage ?? MAX_SAMPLES_PER_MESSAGE, MAX_SAMPLES_PER_MESSAGE);
  if (maxSamples < 1) throw new Error('maxSamplesPerMessage must be at least 1');
  return {
    kind: o.kind,
    scenario: o.scenario,
    seed: o.seed,
    from: o.from,
    liveFrom: o.liveFrom,
    to: o.to ?? Infinity,
    eventAt,
    sampleIntervalMs: o.sampleIntervalMs ?? 1000,
    historySampleIntervalMs: o.historySampleIntervalMs ?? 30_000,
    fullRateHistoryMs: o.fullRateHistoryMs ?? 0,
    batchMs: o.batchMs ?? 5000,
    ventilatorBatchMs: o.ventilatorBatchMs ?? 60_000,
    maxSamplesPerMessage: maxSamples,
    nightStartHourUtc,
    profile,
    def,
    plan: (index) => planNight(o.seed, def, profile, index, anchor, nightStartHourUtc),
    offline: offlineWindow(def.delivery, eventAt, o.offlineMs),
    skewMs: o.clockSkewMs ?? (def.delivery.kind === 'clock-skew' ? def.delivery.skewMs : 0),
    format: o.timestampFormat ?? (o.kind === 'oximeter' ? 'epoch' : 'iso'),
  };
}

/**
 * Groups samples into messages. History: up to maxSamples per message, a new message after a
 * gap in the data. Live: one message per batch period, sent when the period closes.
 */
class Batcher {
  private samples: ParsedSample[] = [];
  private live = false;
  private closeAt = 0;
  private lastStep = 0;

  constructor(
    private readonly liveFrom: number,
    private readonly batchMs: number,
    private readonly maxSamples: number,
    /** Times no message may straddle (the edges of an offline window). */
    private readonly breaks: readonly number[] = [],
  ) {}

  /** Adds a sample; returns the chunk it closed, if any. */
  add(sample: ParsedSample, stepMs: number): Chunk | undefined {
    const live = sample.at >= this.liveFrom;
    const last = this.samples[this.samples.length - 1];
    let closed: Chunk | undefined;
    if (last) {
      const boundary =
        (live ? !this.live || sample.at >= this.closeAt : this.live || sample.at - last.at > 10 * MINUTE_MS) ||
        this.breaks.some((b) => last.at < b && sample.at >= b);
      if (boundary || this.samples.length >= this.maxSamples) closed = this.flush();
    }
    if (this.samples.length === 0) {
      this.live = live;
      this.closeAt = live ? Math.floor(sample.at / this.batchMs) * this.batchMs + this.batchMs : 0;
    }
    this.samples.push(sample);
    this.lastStep = stepMs;
    return closed;
  }

  flush(): Chunk | undefined {
    const last = this.samples[this.samples.length - 1];
    if (!last) return undefined;
    // history: when the next sample would have been taken, but never after the live start
    const sendAt = this.live ? Math.max(this.closeAt, last.at + 1) : Math.max(last.at + 1, Math.min(last.at + this.lastStep, this.liveFrom));
    const chunk = { sendAt, samples: this.samples, sessions: [] };
    this.samples = [];
    return chunk;
  }
}

/** The oximeter's recording: continuous from `from` to `to`, coarser in the history. */
function* oximeterChunks(r: Resolved): Generator<Chunk> {
  const model = new OximeterModel({ seed: r.seed, scenario: r.def, profile: r.profile, eventAt: r.eventAt, plan: r.plan, nightStartHourUtc: r.nightStartHourUtc });
  const batcher = new Batcher(r.liveFrom, r.batchMs, r.maxSamplesPerMessage, breaksOf(r));
  const fullRateFrom = r.liveFrom - r.fullRateHistoryMs;
  const stepAt = (t: number) => (t < fullRateFrom ? r.historySampleIntervalMs : r.sampleIntervalMs);
  let t = Math.ceil(r.from / stepAt(r.from)) * stepAt(r.from);
  while (t < r.to) {
    const step = stepAt(t);
    const closed = batcher.add(model.sample(t), step);
    if (closed) yield closed;
    const next = t + step;
    // entering the full-rate part: realign on the live grid
    t = t < fullRateFrom && next >= fullRateFrom ? Math.ceil(fullRateFrom / r.sampleIntervalMs) * r.sampleIntervalMs : next;
  }
  const rest = batcher.flush();
  if (rest) yield rest;
}

function breaksOf(r: Resolved): number[] {
  return r.offline ? [r.offline.start, r.offline.end] : [];
}

/** Per-minute samples during each night's session, then the session summary in the morning. */
function* ventilatorChunks(r: Resolved): Generator<Chunk> {
  for (let n = nightIndexAt(r.from, r.nightStartHourUtc) - 1; ; n++) {
    const plan = r.plan(n);
    if (plan.sessionStart >= r.to) return;
    if (plan.sessionEnd <= r.from) continue;
    const { samples, session } = generateVentilatorNight(r.seed, r.profile, plan);
    const batcher = new Batcher(r.liveFrom, r.ventilatorBatchMs, r.maxSamplesPerMessage, breaksOf(r));
    for (const s of samples) {
      if (s.at < r.from || s.at >= r.to) continue;
      const closed = batcher.add(s, MINUTE_MS);
      if (closed) yield closed;
    }
    const rest = batcher.flush();
    if (rest) yield rest;
    const summaryAt = session.end + MINUTE_MS;
    if (summaryAt < r.to) yield { sendAt: summaryAt, samples: [], sessions: [session] };
  }
}

/**
 * Per-minute flow samples during each period of oxygen use of a therapy day; each period's
 * session when it ends (a concentrator reports a session as soon as the patient stops).
 */
function* concentratorChunks(r: Resolved): Generator<Chunk> {
  for (let n = nightIndexAt(r.from, r.nightStartHourUtc) - 1; ; n++) {
    const plan = r.plan(n);
    const { samples, sessions } = generateConcentratorDay(r.seed, plan, r.nightStartHourUtc);
    if (sessions[0]!.start >= r.to) return;
    for (const session of sessions) {
      if (session.end <= r.from) continue;
      const batcher = new Batcher(r.liveFrom, r.ventilatorBatchMs, r.maxSamplesPerMessage, breaksOf(r));
      for (const s of samples) {
        if (s.at < session.start || s.at >= session.end || s.at < r.from || s.at >= r.to) continue;
        const closed = batcher.add(s, MINUTE_MS);
        if (closed) yield closed;
      }
      const rest = batcher.flush();
      if (rest) yield rest;
      const summaryAt = session.end + MINUTE_MS;
      if (summaryAt < r.to) yield { sendAt: summaryAt, samples: [], sessions: [session] };
    }
  }
}

/** Splits a chunk until its JSON fits the contract's size limit (never needed with sane settings). */
function* withinLimits(chunk: Chunk, build: (c: Chunk) => ReadingsPayload): Generator<[Chunk, ReadingsPayload]> {
  const payload = build(chunk);
  // a sample is well under 250 bytes of JSON: measure only when the message could be near the limit
  const surelySmall = chunk.samples.length * 250 + chunk.sessions.length * 400 < MAX_PAYLOAD_BYTES;
  if (surelySmall || chunk.samples.length < 2 || Buffer.byteLength(JSON.stringify(payload)) <= MAX_PAYLOAD_BYTES) {
    yield [chunk, payload];
    return;
  }
  const half = Math.ceil(chunk.samples.length / 2);
  yield* withinLimits({ ...chunk, samples: chunk.samples.slice(0, half), sessions: [] }, build);
  yield* withinLimits({ ...chunk, samples: chunk.samples.slice(half) }, build);
}

function* publishEvents(r: Resolved): Generator<PublishEvent> {
  let seq = 1;
  const chunks = r.kind === 'oximeter' ? oximeterChunks(r) : r.kind === 'concentrator' ? concentratorChunks(r) : ventilatorChunks(r);
  for (const chunk of chunks) {
    for (const [c, payload] of withinLimits(chunk, (c) => toReadingsPayload(c.samples, c.sessions, seq, r.format, r.skewMs))) {
      payload.seq = seq++;
      const times = [...c.samples.map((s) => s.at), ...c.sessions.map((s) => s.end)];
      yield {
        type: 'publish',
        sendAt: c.sendAt,
        payload,
        sampleCount: c.samples.length,
        sessionCount: c.sessions.length,
        firstAt: Math.min(...times),
        lastAt: Math.max(...times),
      };
    }
  }
}

/**
 * Offline window: nothing is sent inside it. When the device is back it sends its current
 * message first, then the backlog oldest first: the backend receives the backlog late and
 * older than data it already has (the out-of-order case of CONTRACT.md §1).
 */
function* applyOffline(events: Iterable<DeviceEvent>, window: Interval): Generator<DeviceEvent> {
  let state: 'before' | 'offline' | 'after' = 'before';
  const held: PublishEvent[] = [];
  for (const e of events) {
    const t = eventTime(e);
    if (state === 'before' && t >= window.start) {
      yield { type: 'disconnect', at: window.start };
      state = 'offline';
    }
    if (state === 'offline') {
      // recorded before the end of the window: kept in the device until it is back
      if (e.type === 'publish' && e.lastAt < window.end) {
        held.push(e);
        continue;
      }
      if (t >= window.end) {
        yield { type: 'reconnect', at: window.end };
        yield e;
        for (const h of held) yield { ...h, sendAt: t };
        state = 'after';
        continue;
      }
    }
    yield e;
  }
  if (state === 'offline') {
    yield { type: 'reconnect', at: window.end };
    for (const h of held) yield { ...h, sendAt: window.end };
  }
}

function* applySilence(events: Iterable<DeviceEvent>, at: number): Generator<DeviceEvent> {
  for (const e of events) {
    if (eventTime(e) > at) break;
    yield e;
  }
  yield { type: 'silent', at };
}

/**
 * The messages one simulated device sends, in sending order, with the times it sends them.
 * Pure and lazy: deterministic for the same options, never reads the clock, endless when `to`
 * is omitted. The runner (device-runner.ts) turns it into MQTT traffic.
 */
export function* generateDeviceStream(options: DeviceStreamOptions): Generator<DeviceEvent> {
  const r = resolve(options);
  // a silent device records nothing after it falls silent
  if (r.def.delivery.kind === 'silent') r.to = Math.min(r.to, r.eventAt);
  let events: Iterable<DeviceEvent> = publishEvents(r);
  if (r.offline) events = applyOffline(events, r.offline);
  if (r.def.delivery.kind === 'silent') events = applySilence(events, r.eventAt);
  yield* events;
}
