import { beforeAll, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Registry } from 'prom-client';
import { loadConfig } from '../config/app-config.js';
import type { DeviceCache } from './device-cache.js';
import type { DeviceInfo } from './ingest-device.repository.js';
import { IngestBatch } from './ingest-batch.js';
import { InflightMessage } from './inflight-message.js';
import { IngestMetrics } from './ingest.metrics.js';
import { MessageRouter } from './message-router.js';
import { MessageValidator } from './message-validator.js';
import type { ReadingBatcher } from './reading-batcher.js';

const oximeter: DeviceInfo = { deviceId: 'OX-1', patientId: '00000000-0000-4000-8000-000000000001', kind: 'oximeter', active: true };
const payload = () => JSON.stringify({ v: 1, samples: [{ at: Date.now() - 1000, spo2: 95 }] });

/** A router over a real validator, a device table behind a cache that may miss, and a batcher that counts `added()`. */
function setup(options: { cached?: boolean; validator?: MessageValidator } = {}) {
  const registry = new Registry();
  const table = new Map([[oximeter.deviceId, oximeter]]);
  const loads: string[] = [];
  const devices = {
    peek: (id: string) => (options.cached === false ? undefined : (table.get(id) ?? null)),
    load: async (id: string) => {
      loads.push(id);
      return table.get(id) ?? null;
    },
  } as unknown as DeviceCache;
  const batch = new IngestBatch();
  const batcher = { current: batch, addedCalls: 0, added() {
    this.addedCalls++;
  } };
  const validator = options.validator ?? new MessageValidator(loadConfig({ JWT_SECRET: 'unit-secret-0123456789abcdef0123456789' }));
  const router = new MessageRouter(new IngestMetrics(registry), devices, validator, batcher as unknown as ReadingBatcher);
  const received = async (channel: string) =>
    Number((await registry.getSingleMetricAsString('tm_ingest_messages_received_total')).split('\n').find((l) => l.includes(`channel="${channel}"`))?.split(' ')[1] ?? 0);
  const message = (topic: string) => new InflightMessage(null, 0, 1, topic, Buffer.from(payload()), Date.now(), 0, 10);
  return { router, batch, batcher, loads, received, message };
}

describe('MessageRouter', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('routes a message of a cached device at once: device and channel from the topic, data in the open batch', async () => {
    const { router, batch, batcher, loads, received, message } = setup();
    const m = message('tm/v1/devices/OX-1/readings');
    router.accept(m);
    expect(m).toMatchObject({ deviceId: 'OX-1', channel: 'readings', device: oximeter });
    expect(batch.messages).toEqual([m]);
    expect(batch.rowCount).toBe(1);
    expect(batcher.addedCalls).toBe(1);
    expect(loads).toEqual([]);
    expect(await received('readings')).toBe(1);
  });

  it('waits for the registration on a cache miss, then routes', async () => {
    const { router, batch, batcher, loads, message } = setup({ cached: false });
    const m = message('tm/v1/devices/OX-1/readings');
    router.accept(m);
    expect(batch.messages).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(loads).toEqual(['OX-1']);
    expect(batch.messages).toEqual([m]);
    expect(batcher.addedCalls).toBe(1);
  });

  it('records a topic that names no device as bad-topic, counted as channel "other", without a lookup', async () => {
    const { router, batch, loads, received, message } = setup();
    router.accept(message('tm/v1/devices/../readings'));
    expect(batch.rejectionReasons).toEqual(['bad-topic']);
    expect(loads).toEqual([]);
    expect(await received('other')).toBe(1);
  });

  it('turns a failure while validating (a bug) into a processing-failed dead letter, in the same batch, and goes on', () => {
    const failing = new MessageValidator(loadConfig({ JWT_SECRET: 'unit-secret-0123456789abcdef0123456789' }));
    const route = failing.route.bind(failing);
    failing.route = (m, device, batch) => {
      route(m, device, batch);
      throw new Error('boom');
    };
    const { router, batch, batcher, message } = setup({ validator: failing });
    const m = message('tm/v1/devices/OX-1/readings');
    expect(() => router.accept(m)).not.toThrow();
    expect(batch.messages).toEqual([m]); // once, although routing had added it already
    expect(batch.rejectionReasons).toEqual(['processing-failed']);
    expect(batcher.addedCalls).toBe(1);
  });
});
