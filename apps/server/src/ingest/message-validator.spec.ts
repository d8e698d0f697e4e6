import { describe, expect, it } from '@jest/globals';
import type { RejectionReason } from '#protocol';
import { loadConfig } from '../config/app-config.js';
import type { DeviceInfo } from './ingest-device.repository.js';
import { IngestBatch } from './ingest-batch.js';
import { InflightMessage } from './inflight-message.js';
import { MAX_ITEM_ROWS_PER_MESSAGE, MessageValidator } from './message-validator.js';

const NOW = Date.parse('2026-11-23T08:00:00Z');
const config = loadConfig({ JWT_SECRET: 'unit-secret-0123456789abcdef0123456789' });
const validator = new MessageValidator(config);

const oximeter: DeviceInfo = { deviceId: 'OX-1', patientId: '00000000-0000-4000-8000-000000000001', kind: 'oximeter', active: true };
const ventilator: DeviceInfo = { deviceId: 'VT-1', patientId: '00000000-0000-4000-8000-000000000002', kind: 'ventilator', active: true };
const concentrator: DeviceInfo = { deviceId: 'OC-1', patientId: '00000000-0000-4000-8000-000000000003', kind: 'concentrator', active: true };

/** A message as the router leaves it: device and channel read from its topic (null: bad topic). */
function message(deviceId: string | null, channel: 'readings' | 'status', payload: unknown): InflightMessage {
  const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const m = new InflightMessage(null, 0, 1, deviceId ? `tm/v1/devices/${deviceId}/${channel}` : 'not/a/device/topic', Buffer.from(text), NOW, 0, text.length);
  m.deviceId = deviceId;
  m.channel = deviceId ? channel : null;
  return m;
}

function route(m: InflightMessage, device: DeviceInfo | null): IngestBatch {
  const batch = new IngestBatch();
  validator.route(m, device, batch);
  return batch;
}

const sample = (minutesAgo: number, spo2 = 95) => ({ at: NOW - minutesAgo * 60_000, spo2 });

describe('MessageValidator.route: what one message writes', () => {
  it.each<[string, () => [InflightMessage, DeviceInfo | null], RejectionReason]>([
    ['a topic without a device id', () => [message(null, 'readings', { v: 1, samples: [sample(1)] }), null], 'bad-topic'],
    ['an unknown device', () => [message('OX-9', 'readings', { v: 1, samples: [sample(1)] }), null], 'unknown-device'],
    ['a deactivated device (readings)', () => [message('OX-1', 'readings', { v: 1, samples: [sample(1)] }), { ...oximeter, active: false }], 'inactive-device'],
    ['a deactivated device (status)', () => [message('OX-1', 'status', { online: true }), { ...oximeter, active: false }], 'inactive-device'],
    ['malformed JSON', () => [message('OX-1', 'readings', '{"v":1,'), oximeter], 'malformed-json'],
    ['a wrong version', () => [message('OX-1', 'readings', { v: 2, samples: [sample(1)] }), oximeter], 'unsupported-version'],
    ['a bad status', () => [message('OX-1', 'status', { online: 'yes' }), oximeter], 'bad-status'],
  ])('%s: one dead letter, no data, the message in the batch', (_name, make, reason) => {
    const [m, device] = make();
    const batch = route(m, device);
    expect(batch.messages).toEqual([m]);
    expect(batch.rejectionReasons).toEqual([reason]);
    expect(batch.rejectionDeviceIds).toEqual([m.deviceId]);
    expect(batch.rejectionTimes).toEqual([NOW]);
    expect(batch.rejectionExcerpts[0]).toBe(m.payload.toString('utf8'));
    expect(batch.rowCount).toBe(0);
    expect(batch.statuses.size).toBe(0);
    expect(m.device).toBe(device);
  });

  it('stores valid samples (one row per metric) and notes the receive time as last seen', () => {
    const batch = route(message('OX-1', 'readings', { v: 1, samples: [{ ...sample(2), pulseRate: 70 }, sample(1)] }), oximeter);
    expect(batch.rowCount).toBe(3);
    expect(batch.acceptedSamples).toBe(2);
    expect(batch.rejectionReasons).toEqual([]);
    expect([...batch.lastSeen]).toEqual([['OX-1', NOW]]);
  });

  it('stores a valid status with the receive time', () => {
    const batch = route(message('OX-1', 'status', { online: true, battery: 80 }), oximeter);
    expect(batch.statuses.get('OX-1')).toEqual({ online: true, battery: 80, firmware: null, at: NOW });
    expect(batch.rejectionReasons).toEqual([]);
  });

  it('rejects one bad sample alone, with its own JSON as the excerpt, and keeps the others', () => {
    const batch = route(message('OX-1', 'readings', { v: 1, samples: [sample(2), sample(1, 140)] }), oximeter);
    expect(batch.rowCount).toBe(1);
    expect(batch.rejectionReasons).toEqual(['out-of-range']);
    expect(batch.rejectionDetails[0]).toMatch(/^samples\[1\]: /);
    expect(batch.rejectionExcerpts[0]).toBe(JSON.stringify(sample(1, 140)));
  });

  it('accepts sessions from ventilators and concentrators only (bad-session otherwise)', () => {
    const session = { start: NOW - 9 * 3600_000, end: NOW - 3600_000, usageHours: 8 };
    const fromVentilator = route(message('VT-1', 'readings', { v: 1, sessions: [session] }), ventilator);
    expect(fromVentilator.sessionStarts).toEqual([session.start]);
    expect(fromVentilator.rejectionReasons).toEqual([]);
    const fromOximeter = route(message('OX-1', 'readings', { v: 1, sessions: [session] }), oximeter);
    expect(fromOximeter.sessionStarts).toEqual([]);
    expect(fromOximeter.rejectionReasons).toEqual(['bad-session']);
    expect(fromOximeter.rejectionDetails[0]).toBe('sessions[0]: sessions are accepted from ventilators and concentrators only');
  });

  it("stores a concentrator's oxygen sessions and flow samples; a ventilator field in its session is rejected with its reason", () => {
    const o2 = { start: NOW - 9 * 3600_000, end: NOW - 3600_000, o2UsageHours: 7.5, o2FlowMean: 2 };
    const bad = { start: NOW - 20 * 3600_000, end: NOW - 18 * 3600_000, o2UsageHours: 2, usageHours: 2 };
    const batch = route(message('OC-1', 'readings', { v: 1, samples: [sample(1, 95), { at: NOW - 60_000, o2Flow: 2.5 }], sessions: [o2, bad] }), concentrator);
    expect(batch.sessionStarts).toEqual([o2.start]);
    expect(batch.sessionValues.o2UsageHours).toEqual([7.5]);
    expect(batch.sessionValues.o2FlowMean).toEqual([2]);
    expect(batch.sessionValues.usageHours).toEqual([null]);
    expect(batch.metrics).toEqual(['spo2', 'o2Flow']);
    expect(batch.rejectionReasons).toEqual(['unknown-field']);
    expect(batch.rejectionDetails[0]).toBe('sessions[1]: usageHours is not a field of a concentrator session');
    // And the other way round: oxygen fields are no ventilator session's.
    const fromVentilator = route(message('VT-1', 'readings', { v: 1, sessions: [o2] }), ventilator);
    expect(fromVentilator.sessionStarts).toEqual([]);
    expect(fromVentilator.rejectionDetails[0]).toBe('sessions[0]: o2UsageHours is not a field of a ventilator session');
  });

  it.each([
    [{ o2Flow: 16 }, 'out-of-range'],
    [{ o2Flow: -0.5 }, 'out-of-range'],
    [{ o2Flow: '2' }, 'bad-value'],
    [{ o2Purity: 93 }, 'unknown-field'],
  ])('a malformed concentrator sample %j is a rejection (%s)', (fields, reason) => {
    const batch = route(message('OC-1', 'readings', { v: 1, samples: [{ at: NOW - 60_000, ...fields }, { at: NOW - 30_000, o2Flow: 2 }] }), concentrator);
    expect(batch.rowCount).toBe(1);
    expect(batch.rejectionReasons).toEqual([reason]);
  });

  it(`records at most ${MAX_ITEM_ROWS_PER_MESSAGE} item rows plus one summary row, and counts every item`, () => {
    const samples = [...Array.from({ length: 110 }, (_, i) => sample(i + 1, 140)), ...Array.from({ length: 5 }, (_, i) => ({ at: 'nope', spo2: 90 + i }))];
    const batch = route(message('OX-1', 'readings', { v: 1, samples }), oximeter);
    expect(batch.rejectionReasons).toHaveLength(MAX_ITEM_ROWS_PER_MESSAGE + 1);
    expect(batch.rejectionDetails.at(-1)).toBe('15 more rejected items: out-of-range x10, bad-timestamp x5');
    expect(batch.rejectionExcerpts.at(-1)).toBeNull();
    expect(Object.fromEntries(batch.rejectionCounts)).toEqual({ 'out-of-range': 110, 'bad-timestamp': 5 });
  });
});

describe('MessageValidator: the batches of the failure paths', () => {
  it('recordFailure adds a processing-failed dead letter (and the message, once)', () => {
    const m = message('OX-1', 'readings', { v: 1, samples: [sample(1)] });
    const batch = new IngestBatch();
    batch.addMessage(m);
    validator.recordFailure(batch, m, new Error('boom'));
    expect(batch.messages).toEqual([m]);
    expect(batch.rejectionReasons).toEqual(['processing-failed']);
    expect(batch.rejectionDetails[0]).toBe('the backend failed on this message: boom');
  });

  it('rebuild makes the batch of the message alone, from the registration it was routed with', () => {
    const m = message('OX-1', 'readings', { v: 1, samples: [sample(1)] });
    const first = new IngestBatch();
    validator.route(message('OX-2', 'readings', { v: 1, samples: [sample(2)] }), { ...oximeter, deviceId: 'OX-2' }, first);
    validator.route(m, oximeter, first);
    const alone = validator.rebuild(m);
    expect(alone.messages).toEqual([m]);
    expect(alone.deviceIds).toEqual(['OX-1']);
    expect(alone.lastResort).toBe(false);
  });

  it('unstorable makes a last-resort batch holding only a store-failed dead letter with the SQLSTATE', () => {
    const m = message('OX-1', 'readings', { v: 1, samples: [sample(1)] });
    const batch = validator.unstorable(m, Object.assign(new Error('check'), { code: '23514' }));
    expect(batch.lastResort).toBe(true);
    expect(batch.messages).toEqual([m]);
    expect(batch.rowCount).toBe(0);
    expect(batch.rejectionReasons).toEqual(['store-failed']);
    expect(batch.rejectionDetails[0]).toBe("the database refused the message's data (SQLSTATE 23514)");
  });
});
