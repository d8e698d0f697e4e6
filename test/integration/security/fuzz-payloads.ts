import { createCipheriv } from 'node:crypto';
import { MAX_PAYLOAD_BYTES, MAX_SAMPLES_PER_MESSAGE, MAX_SESSIONS_PER_MESSAGE } from '#protocol';

/**
 * Hostile device payloads for the MQTT fuzz test (fuzz.test.ts), all drawn from one seeded PRNG
 * so that a failing run is reproduced with its seed (FUZZ_SEED).
 */

export interface Rng {
  float(): number;
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
  bytes(n: number): Buffer;
}

/** mulberry32: small, fast, good enough to drive a fuzzer. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  const float = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(float() * (hi - lo + 1));
  return {
    float,
    int,
    pick: (items) => items[int(0, items.length - 1)]!,
    chance: (p) => float() < p,
    // A keystream keyed by the PRNG: deterministic and fast for large payloads.
    bytes: (n) => {
      const key = Buffer.alloc(16);
      for (let i = 0; i < 16; i += 4) key.writeUInt32LE(int(0, 0xffffffff), i);
      return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(n));
    },
  };
}

export type DeviceKind = 'oximeter' | 'ventilator';

/** JSON built as objects, with raw text spliced in where JSON.stringify cannot write it (1e999, deep nesting). */
class Doc {
  private readonly raws: string[] = [];
  raw(text: string): string {
    return `\u0001RAW${this.raws.push(text) - 1}\u0001`;
  }
  serialize(value: unknown): string {
    return JSON.stringify(value).replace(/"\\u0001RAW(\d+)\\u0001"/g, (_, i: string) => this.raws[Number(i)]!);
  }
}

/** Sets a property as an own enumerable one, even `__proto__`. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function isoWithOffset(ms: number, offsetMinutes: number, fraction: string): string {
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 19);
  if (offsetMinutes === 0) return `${local}${fraction}Z`;
  const sign = offsetMinutes > 0 ? '+' : '-';
  const abs = Math.abs(offsetMinutes);
  return `${local}${fraction}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** A contract-valid timestamp of `ms` (whole ms), in one of the accepted forms. */
function timestamp(r: Rng, ms: number): string | number {
  switch (r.int(0, 3)) {
    case 0:
    case 1:
      return ms;
    case 2:
      return isoWithOffset(ms, 0, r.pick(['', `.${String(ms % 1000).padStart(3, '0')}`]));
    default:
      return isoWithOffset(ms - (ms % 1000), r.pick([60, 120, -300, 330]), '');
  }
}

function oximeterSample(r: Rng, at: string | number): Record<string, unknown> {
  const s: Record<string, unknown> = { at, spo2: r.chance(0.5) ? r.int(75, 100) : Math.round(r.float() * 3000) / 100 + 70 };
  if (r.chance(0.8)) s.pulseRate = r.int(40, 160);
  if (r.chance(0.2)) s.perfusionIndex = Math.round(r.float() * 200) / 10;
  if (r.chance(0.2)) s.signalOk = r.chance(0.7);
  return s;
}

function ventilatorSample(r: Rng, at: string | number): Record<string, unknown> {
  const s: Record<string, unknown> = { at, respRate: r.int(8, 35), tidalVolume: r.int(250, 900) };
  if (r.chance(0.6)) s.leak = r.int(0, 60);
  if (r.chance(0.5)) {
    s.ipap = r.int(12, 28);
    s.epap = r.int(4, 9);
  }
  if (r.chance(0.3)) s.fio2 = r.int(21, 40);
  return s;
}

function session(r: Rng, endMs: number): Record<string, unknown> {
  const start = endMs - r.int(4, 9) * 3600_000;
  return {
    start: timestamp(r, start),
    end: timestamp(r, endMs),
    usageHours: r.int(30, 90) / 10,
    leakP95: r.int(0, 50),
    ahi: r.int(0, 300) / 10,
    respRateMedian: r.int(10, 25),
  };
}

/** A valid readings document of `kind` around `baseMs` (a recent time: far from the acceptance window's edges). */
export function validReadings(r: Rng, kind: DeviceKind, baseMs: number): Record<string, unknown> {
  const n = r.int(1, 20);
  const samples = Array.from({ length: n }, (_, i) => {
    const at = timestamp(r, baseMs + i * 1000 + r.int(0, 999));
    return kind === 'oximeter' ? oximeterSample(r, at) : ventilatorSample(r, at);
  });
  const doc: Record<string, unknown> = { v: 1, seq: r.int(0, 1_000_000), samples };
  if (kind === 'ventilator' && r.chance(0.3)) doc.sessions = [session(r, baseMs - r.int(0, 3) * 3600_000)];
  return doc;
}

const WEIRD_VALUES = (d: Doc): unknown[] => [
  '95', 'NaN', 'Infinity', '-Infinity', null, true, false, [], {}, [95], { value: 95 },
  d.raw('1e999'), d.raw('-1e999'), d.raw('1E+2'), d.raw('-0.0'), d.raw('1e-400'),
  d.raw('95.000000000000000000000000000001'), d.raw('123456789012345678901234567890'),
  1e308, -1e308, Number.MAX_SAFE_INTEGER, -1, 1e6, 5e-324, 101, '0x5F', '', ' 95 ', '９５',
];

const WEIRD_KEYS = [
  'foo', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype', 'SPO2', 'spo2 ', ' spo2', 'Spo2',
  "spo2'; DROP TABLE readings; --", '../../etc/passwd', '$where', '$ne', '𝔰𝔭𝔬2', '', '\u0000', 'a'.repeat(200), 'signalok', 'at ',
];

const WEIRD_TIMES = (d: Doc, now: number): unknown[] => [
  null, '', 'yesterday', 'now', '2026-01-01', '2026-01-01T00:00:00', '2026-01-01 00:00:00Z', '2026-13-45T99:99:99Z',
  '0000-00-00T00:00:00Z', '2026-02-30T00:00:00Z', '+275760-09-13T00:00:00.000Z', now + 10 * 86_400_000, isoWithOffset(now + 10 * 86_400_000, 0, ''),
  now - 400 * 86_400_000, isoWithOffset(now - 400 * 86_400_000, 0, '.5'), 0, -1, -now, 1.5, now + 0.5, d.raw('1e999'), d.raw('-0'),
  8.64e15, 8.64e15 + 1, 1e300, Number.MAX_SAFE_INTEGER + 2, true, [], {}, [now], String(now),
];

function nested(r: Rng, maxBytes: number): string {
  if (r.chance(0.5)) {
    const depth = r.int(1, Math.floor(maxBytes / 2));
    return '['.repeat(depth) + ']'.repeat(depth);
  }
  const depth = r.int(1, Math.floor(maxBytes / 7));
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** Structural mutations of a valid document (wrong types, limits, unknown fields, nesting, size). */
function mutateDoc(r: Rng, kind: DeviceKind, baseMs: number, now: number): string {
  const d = new Doc();
  const doc = validReadings(r, kind, baseMs);
  const samples = doc.samples as Record<string, unknown>[];
  /** A sample still an object (an earlier round may have replaced some). */
  const some = (): Record<string, unknown> => {
    const objects = samples.filter((s) => typeof s === 'object' && s !== null && !Array.isArray(s));
    if (objects.length > 0) return r.pick(objects);
    const s = oximeterSample(r, baseMs);
    samples.push(s);
    return s;
  };
  const rounds = r.int(1, 3);
  for (let round = 0; round < rounds; round++) {
    switch (r.int(0, 17)) {
      case 0:
        if (r.chance(0.3)) delete doc.v;
        else doc.v = r.pick<unknown>(['1', 2, 0, null, true, 1.5, [], {}, d.raw('1.0'), d.raw('1e0'), -1]);
        break;
      case 1:
        doc.samples = r.pick<unknown>([{}, 'samples', 5, null, true, { 0: samples[0] }]);
        return d.serialize(doc);
      case 2: {
        const n = MAX_SAMPLES_PER_MESSAGE + r.int(-2, 60);
        doc.samples = Array.from({ length: n }, (_, i) => ({ at: baseMs + i, spo2: 90 }));
        break;
      }
      case 3:
      case 4: {
        const s = some();
        const keys = Object.keys(s).filter((k) => k !== 'at');
        s[keys.length > 0 ? r.pick(keys) : 'spo2'] = r.pick(WEIRD_VALUES(d));
        break;
      }
      case 5:
        setOwn(some(), r.chance(0.8) ? r.pick(WEIRD_KEYS) : r.bytes(r.int(1, 12)).toString('latin1'), r.pick([1, 'x', null, {}, 95]));
        break;
      case 6: {
        const s = some();
        if (r.chance(0.2)) delete s.at;
        else s.at = r.pick(WEIRD_TIMES(d, now));
        break;
      }
      case 7:
        setOwn(doc, r.pick(WEIRD_KEYS), r.pick<unknown>([1, 'x', null, { v: 2 }, [1], d.raw('1e999')]));
        break;
      case 8: {
        // Sessions: on an oximeter (refused per item), bad fields, too many, wrong order, > 24 h.
        const base = Array.from({ length: r.chance(0.1) ? MAX_SESSIONS_PER_MESSAGE + r.int(-1, 3) : r.int(1, 4) }, (_, i) =>
          session(r, baseMs - i * 25 * 3600_000),
        );
        const s = base[0]!;
        switch (r.int(0, 5)) {
          case 0:
            [s.start, s.end] = [s.end, s.start];
            break;
          case 1:
            s.start = baseMs - 30 * 3600_000;
            s.end = baseMs;
            break;
          case 2:
            setOwn(s, r.pick(WEIRD_KEYS), 1);
            break;
          case 3:
            s[r.pick(['usageHours', 'ahi', 'leakP95', 'tidalVolumeMedian'])] = r.pick(WEIRD_VALUES(d));
            break;
          case 4:
            s.start = r.pick(WEIRD_TIMES(d, now));
            break;
          default:
            base[0] = r.pick<Record<string, unknown>>([null as never, 5 as never, 'x' as never, [] as never]);
        }
        doc.sessions = r.chance(0.1) ? r.pick<unknown>([{}, 'x', 3]) : base;
        break;
      }
      case 9: {
        // Deep nesting: in a value, as a sample, as the samples, as a field.
        const deep = d.raw(nested(r, r.chance(0.3) ? 240_000 : 20_000));
        const where = r.int(0, 3);
        if (where === 0) some()[r.pick(['spo2', 'pulseRate', 'at', 'respRate'])] = deep;
        else if (where === 1) samples[r.int(0, samples.length - 1)] = deep as never;
        else if (where === 2) doc.samples = deep;
        else setOwn(doc, 'extra', deep);
        break;
      }
      case 10: {
        // Size: just under, at and over the limit (a field of padding), or far over.
        const text = d.serialize(doc);
        const target = r.pick([MAX_PAYLOAD_BYTES - 1, MAX_PAYLOAD_BYTES, MAX_PAYLOAD_BYTES + 1, MAX_PAYLOAD_BYTES + r.int(2, 200_000)]);
        const pad = Math.max(0, target - Buffer.byteLength(text) - ',"pad":""'.length);
        return `${text.slice(0, -1)},"pad":"${'x'.repeat(pad)}"}`;
      }
      case 11: {
        const at = some().at;
        for (const s of samples) if (typeof s === 'object' && s !== null) (s as Record<string, unknown>).at = at;
        break;
      }
      case 12:
        some().signalOk = r.pick<unknown>(['true', 1, 0, null, 'false', []]);
        break;
      case 13:
        samples[r.int(0, samples.length - 1)] = r.pick<Record<string, unknown>>([{ at: some().at }, {}, 1 as never, 'x' as never, null as never, [] as never]);
        break;
      case 14: {
        // Duplicate keys: JSON.parse keeps the last one.
        const text = d.serialize(doc);
        return text.replace('{', r.pick(['{"v":2,', '{"samples":5,', '{"v":1,"v":1,', '{"seq":"x",', '{"seq":1e999,']));
      }
      case 15:
        doc.seq = r.pick<unknown>(['1', -1, 1.5, null, d.raw('1e999'), Number.MAX_SAFE_INTEGER + 2, [], {}]);
        break;
      case 16:
        // Metrics of the other kind of device, out of range values.
        some()[r.pick(['spo2', 'fio2', 'o2Flow', 'tidalVolume', 'pulseRate'])] = r.pick([-1, 0, 19, 301, 2501, 1000, 20.5, 100.0001]);
        break;
      default:
        for (let i = 0; i < r.int(1, 50); i++) samples.push(kind === 'oximeter' ? oximeterSample(r, baseMs - i * 7) : ventilatorSample(r, baseMs - i * 7));
    }
  }
  return d.serialize(doc);
}

const JSON_TOKENS = ['{', '}', '[', ']', ',', ':', '"', '\\', 'null', 'true', '1e999', '-', '0', '"v"', '"samples"', '\\u0000', '\\ud800', '\u00e9', '\ud83d\ude00'];

/** Byte-level damage to a serialized document. */
function mutateBytes(r: Rng, text: string): Buffer {
  let b = Buffer.from(text, 'utf8');
  const ops = r.int(1, 6);
  for (let i = 0; i < ops && b.length > 0; i++) {
    const at = r.int(0, b.length - 1);
    switch (r.int(0, 6)) {
      case 0:
        b[at] = b[at]! ^ (1 << r.int(0, 7));
        break;
      case 1:
        b[at] = r.int(0, 255);
        break;
      case 2:
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + r.int(1, 20)))]);
        break;
      case 3:
        b = Buffer.concat([b.subarray(0, at), r.bytes(r.int(1, 8)), b.subarray(at)]);
        break;
      case 4:
        b = Buffer.concat([b.subarray(0, at), Buffer.from(r.pick(JSON_TOKENS)), b.subarray(at)]);
        break;
      case 5: {
        const from = r.int(0, b.length - 1);
        b = Buffer.concat([b.subarray(0, at), b.subarray(from, from + r.int(1, 40)), b.subarray(at)]);
        break;
      }
      default:
        b = b.subarray(0, at);
    }
  }
  return b;
}

const ODD_DOCUMENTS = [
  '', ' ', 'null', '0', '-0', '"x"', '[]', '[{"v":1}]', 'true', '{}', '{"v":1}', '{"v":1,"samples":[]}', ' {"v":1} ',
  '{"v":"1"}', 'NaN', 'Infinity', 'undefined', "{'v':1}", '{"v":1,}', '{"v":1,"samples":[,]}', '\ufeff{"v":1}',
  '{"v":1,"samples":null}', '{"v":1,"sessions":null}', '{"v":1,"samples":[{}]}', '{"v":1}\u0000', '\u0000',
  '{"v":1,"samples":[{"at":"2026-01-01T00:00:00Z","spo2":95}]', '{"__proto__":{"v":1},"v":1}', '{"v":1,"constructor":{"prototype":{"x":1}}}',
];

/** One hostile readings payload. `baseMs`: where its valid-looking samples sit in time. */
export function hostileReadings(r: Rng, kind: DeviceKind, baseMs: number, now: number): Buffer {
  const p = r.float();
  if (p < 0.1) return r.bytes(r.chance(0.02) ? r.int(MAX_PAYLOAD_BYTES - 10, MAX_PAYLOAD_BYTES + 50_000) : r.int(0, 600));
  if (p < 0.15) return Buffer.from(Array.from({ length: r.int(1, 60) }, () => r.pick(JSON_TOKENS)).join(''));
  if (p < 0.19) return Buffer.from(r.pick(ODD_DOCUMENTS));
  if (p < 0.21) return Buffer.from(JSON.stringify(validReadings(r, kind, baseMs)), r.pick(['utf16le', 'latin1', 'base64'] as const));
  if (p < 0.43) return mutateBytes(r, JSON.stringify(validReadings(r, kind, baseMs)));
  if (p < 0.9) return Buffer.from(mutateDoc(r, kind, baseMs, now));
  return Buffer.from(JSON.stringify(validReadings(r, kind, baseMs)));
}

/** One hostile status payload. */
export function hostileStatus(r: Rng): Buffer {
  const d = new Doc();
  const valid = (): Record<string, unknown> => {
    const s: Record<string, unknown> = { online: r.chance(0.5) };
    if (r.chance(0.6)) s.battery = r.chance(0.5) ? r.int(0, 100) : Math.round(r.float() * 1000) / 10;
    if (r.chance(0.5)) s.firmware = r.pick(['1.0.0', '2.3.1-rc1', '10.0+build.5', 'v']);
    return s;
  };
  const p = r.float();
  if (p < 0.1) return r.bytes(r.int(0, 300));
  if (p < 0.15) return Buffer.from(r.pick(ODD_DOCUMENTS));
  if (p < 0.3) return mutateBytes(r, JSON.stringify(valid()));
  if (p < 0.75) {
    const s = valid();
    switch (r.int(0, 5)) {
      case 0:
        s.online = r.pick<unknown>(['true', 1, 0, null, [], {}]);
        break;
      case 1:
        s.battery = r.pick<unknown>([-1, 101, 100.0001, '50', null, d.raw('1e999'), 1e308, true, [], -0]);
        break;
      case 2:
        s.firmware = r.pick<unknown>([123, '', "1'; DROP TABLE devices; --", '../../etc/passwd', 'x'.repeat(33), '1.0 beta', '<script>', null, ['1.0']]);
        break;
      case 3:
        setOwn(s, r.pick(WEIRD_KEYS), r.pick([1, 'x', { online: false }]));
        break;
      case 4:
        setOwn(s, 'pad', 'x'.repeat(r.int(4000, 6000)));
        break;
      default:
        setOwn(s, 'deep', d.raw(nested(r, 3000)));
    }
    return Buffer.from(d.serialize(s));
  }
  return Buffer.from(JSON.stringify(valid()));
}

/**
 * Device-id segments that MQTT carries but the contract's id pattern refuses (bad-topic), and
 * ids that match the pattern but name no device (unknown-device).
 */
export function oddTopicSegment(r: Rng): string {
  const fixed = [
    '', '.', '..', '...', '%2e%2e', '..%2F..%2Fetc', "' OR '1'='1", "1; DROP TABLE readings; --", 'OX 1', 'OX-1 ', ' OX-1',
    'é-device', '设备-001', '\ud83e\udec1-001', 'ab', 'x'.repeat(65), '$SYS', 'OX-1\\', 'OX-1"', '<script>alert(1)</script>', 'OX-1?x=1',
    'OX~1', 'OX.1', 'OX:1', 'OX@1', '%00', '\\u0000', 'OX-1%2Freadings', '${jndi:ldap://x}', '{{7*7}}', 'ＯＸ-1',
  ];
  if (r.chance(0.6)) return r.pick(fixed);
  if (r.chance(0.2)) return 'y'.repeat(r.int(65, 4000));
  // Printable characters from several planes (no '/', '+', '#': those change what the topic is).
  const alphabet = ' !"$%&\'()*,-.0123456789:;<=>?@AZaz[\\]^_`{|}~éß€世界\ud83d\ude00\u00a0\u200b';
  const chars = Array.from(alphabet);
  return Array.from({ length: r.int(1, 80) }, () => r.pick(chars)).join('');
}

/** Ids matching the device-id pattern that no device has (some are JavaScript property names). */
export function unknownDeviceId(r: Rng, unique: string): string {
  return r.chance(0.7) ? unique : r.pick(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'null', 'undefined', 'NaN', '---', '___', 'valueOf']);
}

/** Topics outside tm/v1/devices/+/readings|status: the backend's subscription never receives them. */
export function undeliveredTopic(r: Rng, deviceId: string): string {
  return r.pick([
    `tm/v1/devices/${deviceId}/Readings`,
    `tm/v1/devices/${deviceId}/readings/extra`,
    `tm/v1/devices/${deviceId}/readings/`,
    `tm/v1/devices/${deviceId}/status/x`,
    `tm/v1/devices/${deviceId}/commands`,
    `tm/v1/devices/${deviceId}`,
    `tm/v1/devices/a/b/readings`,
    `tm/v2/devices/${deviceId}/readings`,
    `/tm/v1/devices/${deviceId}/readings`,
    `tm//v1/devices/${deviceId}/readings`,
    `TM/v1/devices/${deviceId}/readings`,
    `random/${r.int(0, 1e6)}`,
    'tm',
  ]);
}
