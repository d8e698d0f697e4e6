import {
  MAX_PAYLOAD_BYTES,
  MAX_SAMPLES_PER_MESSAGE,
  readingsTopic,
  statusTopic,
  TOPIC_ROOT,
  type RejectionReason,
} from '#protocol';
import { Rng } from '../generators/prng.js';

/**
 * Bad input a device (or an attacker with a device's credentials) may send, each with the
 * rejection the backend must record (CONTRACT.md §1: never dropped silently, never a crash).
 * `scope`: 'message' rejects the whole message; 'item' rejects one sample/session (or one
 * unknown top-level field) and the rest of the message is stored (`storedSamples`).
 */
export interface BadInputCase {
  id: string;
  description: string;
  topic: string;
  payload: Buffer;
  expected: {
    reason: RejectionReason;
    scope: 'message' | 'item';
    /** Samples of this message the backend must still store. */
    storedSamples: number;
    /** Who can tell: the payload parser (checked by unit test), or only the backend's registry. */
    checkedBy: 'parser' | 'topic' | 'status-parser' | 'registry';
  };
}

export interface BadInputContext {
  /** The sending device (registered). */
  deviceId: string;
  /** The backend's clock at sending time (epoch ms). */
  now: number;
  /** A device id that is not registered (for the foreign-topic case). */
  unknownDeviceId?: string;
  seed?: number;
}

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

/** Every case, built for one sending device at time `now`. */
export function buildBadInputCases(ctx: BadInputContext): BadInputCase[] {
  const { deviceId, now } = ctx;
  const topic = readingsTopic(deviceId);
  // every good sample at its own time, so each one is stored (not deduplicated with another case's)
  let goodCount = 0;
  const good = (offsetMs: number) => ({ at: now - offsetMs - 10 * goodCount++, spo2: 94, pulseRate: 76 });
  const rng = new Rng(ctx.seed ?? 1);
  const garbage = Buffer.from(Array.from({ length: 512 }, (_, i) => (i === 0 ? 0xff : rng.int(0, 255))));
  const withOneBad = (id: string, description: string, bad: unknown, reason: RejectionReason): BadInputCase => ({
    id,
    description,
    topic,
    payload: json({ v: 1, samples: [bad, good(1000)] }),
    expected: { reason, scope: 'item', storedSamples: 1, checkedBy: 'parser' },
  });
  const whole = (id: string, description: string, payload: Buffer, reason: RejectionReason): BadInputCase => ({
    id,
    description,
    topic,
    payload,
    expected: { reason, scope: 'message', storedSamples: 0, checkedBy: 'parser' },
  });
  const cases: BadInputCase[] = [
    whole('malformed-json', 'truncated JSON', Buffer.from('{"v":1,"samples":[{"at":'), 'malformed-json'),
    whole('binary-garbage', '512 random bytes', garbage, 'malformed-json'),
    whole('not-an-object', 'a JSON array instead of an object', json([1, 2, 3]), 'malformed-message'),
    whole('samples-not-array', '"samples" is an object', json({ v: 1, samples: { at: now, spo2: 95 } }), 'malformed-message'),
    whole('wrong-version', 'v: 2', json({ v: 2, samples: [good(2000)] }), 'unsupported-version'),
    whole('missing-version', 'no "v" at all', json({ samples: [good(2000)] }), 'unsupported-version'),
    whole(
      'oversized-payload',
      `over ${MAX_PAYLOAD_BYTES} bytes`,
      json({ v: 1, samples: [good(2000)], padding: 'x'.repeat(MAX_PAYLOAD_BYTES) }),
      'payload-too-large',
    ),
    whole(
      'too-many-samples',
      `${MAX_SAMPLES_PER_MESSAGE + 1} samples`,
      json({ v: 1, samples: Array.from({ length: MAX_SAMPLES_PER_MESSAGE + 1 }, (_, i) => good(10_000 + i * 1000)) }),
      'too-many-samples',
    ),
    withOneBad('spo2-out-of-range', 'SpO2 101 %', { at: now - 3000, spo2: 101 }, 'out-of-range'),
    withOneBad('pulse-out-of-range', 'pulse 350 /min', { at: now - 3000, pulseRate: 350 }, 'out-of-range'),
    withOneBad('negative-leak', 'leak −5 L/min', { at: now - 3000, leak: -5 }, 'out-of-range'),
    withOneBad('unknown-metric', 'a field not in the catalogue (heartRate)', { at: now - 3000, spo2: 95, heartRate: 70 }, 'unknown-field'),
    withOneBad('string-value', 'SpO2 as a string', { at: now - 3000, spo2: '95' }, 'bad-value'),
    withOneBad('infinite-value', 'a number JSON turns into Infinity (1e400)', { at: now - 3000, spo2: 1 }, 'bad-value'),
    withOneBad('bad-signal-flag', 'signalOk: "yes"', { at: now - 3000, spo2: 95, signalOk: 'yes' }, 'bad-value'),
    withOneBad('future-timestamp', 'one hour in the future (beyond the 5-minute skew)', { at: now + 3_600_000, spo2: 95 }, 'timestamp-in-future'),
    withOneBad('ancient-timestamp', '60 days old (beyond the 30-day backfill horizon)', { at: now - 60 * 86_400_000, spo2: 95 }, 'timestamp-too-old'),
    withOneBad('timestamp-without-offset', 'ISO-8601 without a time zone', { at: new Date(now - 3000).toISOString().slice(0, 19), spo2: 95 }, 'bad-timestamp'),
    withOneBad('missing-timestamp', 'no "at"', { spo2: 95 }, 'bad-timestamp'),
    withOneBad('empty-sample', 'a sample with a time and no metric', { at: now - 3000 }, 'empty-sample'),
    withOneBad('sample-not-object', 'a number where a sample should be', 42, 'malformed-sample'),
    {
      id: 'unknown-top-level-field',
      description: 'an extra top-level field (the samples are stored)',
      topic,
      payload: json({ v: 1, firmwareDebug: { x: 1 }, samples: [good(1000)] }),
      expected: { reason: 'unknown-field', scope: 'item', storedSamples: 1, checkedBy: 'parser' },
    },
    {
      id: 'session-ends-before-start',
      description: 'a ventilation session that ends before it starts',
      topic,
      payload: json({ v: 1, samples: [good(1000)], sessions: [{ start: now - 3_600_000, end: now - 7_200_000, usageHours: 1 }] }),
      expected: { reason: 'bad-session', scope: 'item', storedSamples: 1, checkedBy: 'parser' },
    },
    {
      id: 'unregistered-device-topic',
      description: "publishing on another (unregistered) device's topic",
      topic: readingsTopic(ctx.unknownDeviceId ?? `${deviceId.slice(0, 40)}-GHOST`),
      payload: json({ v: 1, samples: [good(1000)] }),
      expected: { reason: 'unknown-device', scope: 'message', storedSamples: 0, checkedBy: 'registry' },
    },
    {
      id: 'malformed-topic',
      description: 'a device id segment the registry could never hold',
      topic: `${TOPIC_ROOT}/bad id!/readings`,
      payload: json({ v: 1, samples: [good(1000)] }),
      expected: { reason: 'bad-topic', scope: 'message', storedSamples: 0, checkedBy: 'topic' },
    },
    {
      id: 'bad-status',
      description: 'a status message with online: "yes"',
      topic: statusTopic(deviceId),
      payload: json({ online: 'yes', battery: 300 }),
      expected: { reason: 'bad-status', scope: 'message', storedSamples: 0, checkedBy: 'status-parser' },
    },
  ];
  // JSON.stringify cannot write 1e400: patch the text so JSON.parse on the backend yields Infinity
  return cases.map((c) => (c.id === 'infinite-value' ? { ...c, payload: Buffer.from(c.payload.toString().replace('"spo2":1}', '"spo2":1e400}')) } : c));
}
