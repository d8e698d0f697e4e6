import { beforeAll, describe, expect, it } from '@jest/globals';
import { Global, Logger, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Registry } from 'prom-client';
import { APP_CONFIG, loadConfig } from '../config/app-config.js';
import { PG_POOL } from '../database/database.module.js';
import { DeviceRegistryEvents, StoredReadingsHub } from '../events/event-hubs.js';
import type { StoredDeviceBatch } from '../events/stored-readings.js';
import { METRICS_REGISTRY } from '../metrics/metrics.module.js';
import { DeviceCache } from './device-cache.js';
import type { DeviceInfo } from './ingest-device.repository.js';
import type { IngestBatch } from './ingest-batch.js';
import { IngestModule } from './ingest.module.js';
import { IngestService } from './ingest.service.js';
import { InflightBudget } from './inflight-budget.js';
import { InflightMessage } from './inflight-message.js';
import { MessageRouter } from './message-router.js';
import { MqttConsumer } from './mqtt-consumer.js';
import { ReadingRepository } from './reading.repository.js';

/**
 * The whole path as IngestModule wires it (every step through Nest's injection), with an
 * in-memory device table and a repository that keeps what it commits; no broker, no database.
 */
async function setup(device: DeviceInfo) {
  const committed: IngestBatch[] = [];
  const readings = {
    commit: async (batch: IngestBatch) => {
      committed.push(batch);
      return { insertedRows: batch.rowCount, insertedSessions: 0 };
    },
  };
  const devices = { peek: () => device, load: async () => device, start: () => undefined };
  const config = loadConfig({ JWT_SECRET: 'unit-secret-0123456789abcdef0123456789', INGEST_BATCH_MAX_DELAY_MS: '1' });

  @Global()
  @Module({
    providers: [
      { provide: APP_CONFIG, useValue: config },
      { provide: METRICS_REGISTRY, useValue: new Registry() },
      { provide: PG_POOL, useValue: {} },
      StoredReadingsHub,
      DeviceRegistryEvents,
    ],
    exports: [APP_CONFIG, METRICS_REGISTRY, PG_POOL, StoredReadingsHub, DeviceRegistryEvents],
  })
  class Surroundings {}

  const moduleRef = await Test.createTestingModule({ imports: [Surroundings, IngestModule] })
    .overrideProvider(ReadingRepository)
    .useValue(readings)
    .overrideProvider(DeviceCache)
    .useValue(devices)
    .compile();
  // The testing module installs its own logger: silence it again (errors below are expected).
  Logger.overrideLogger(false);
  const handedOver: StoredDeviceBatch[][] = [];
  moduleRef.get(StoredReadingsHub).subscribe(async (stored) => void handedOver.push(stored));
  const acked: InflightMessage[] = [];
  const message = (deviceId: string, payload: string) =>
    new InflightMessage({ settle: (m) => acked.push(m) }, 0, 1, `tm/v1/devices/${deviceId}/readings`, Buffer.from(payload), Date.now(), 0, payload.length);
  return { moduleRef, router: moduleRef.get(MessageRouter), committed, acked, handedOver, message };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!check()) throw new Error('condition not met');
};

describe('ingestion, a failure while processing a message', () => {
  beforeAll(() => Logger.overrideLogger(false));
  it('records the message as a processing-failed dead letter and still acknowledges it after the commit', async () => {
    // A registration whose fields throw when read: stands for any bug on the routing path.
    const broken = { deviceId: 'dev-broken', patientId: 'p1', kind: 'oximeter' } as DeviceInfo;
    Object.defineProperty(broken, 'active', { get: () => { throw new Error('boom'); } });
    const { router, committed, acked, message } = await setup(broken);
    const m = message('dev-broken', JSON.stringify({ v: 1, samples: [{ at: Date.now(), spo2: 95 }] }));
    router.accept(m);
    await until(() => acked.length === 1);
    expect(acked).toEqual([m]);
    const batch = committed.find((b) => b.messages.includes(m))!;
    expect(batch.rejectionReasons).toEqual(['processing-failed']);
    expect(batch.rejectionDetails[0]).toContain('boom');
    expect(batch.rowCount).toBe(0);
  });

  it('stores a healthy message normally (the same path without the failure)', async () => {
    const { router, committed, acked, message } = await setup({ deviceId: 'dev-ok', patientId: '00000000-0000-4000-8000-000000000001', kind: 'oximeter', active: true });
    const m = message('dev-ok', JSON.stringify({ v: 1, samples: [{ at: Date.now() - 1000, spo2: 95 }] }));
    router.accept(m);
    await until(() => acked.length === 1);
    const batch = committed.find((b) => b.messages.includes(m))!;
    expect(batch.rejectionReasons).toEqual([]);
    expect(batch.rowCount).toBe(1);
  });
});

describe('ingestion wired by IngestModule', () => {
  beforeAll(() => Logger.overrideLogger(false));
  it('hands a committed message to the rules after its acknowledgement, and frees its budget then', async () => {
    const { moduleRef, router, acked, handedOver, message } = await setup({ deviceId: 'dev-ok', patientId: '00000000-0000-4000-8000-000000000001', kind: 'oximeter', active: true });
    const registry = moduleRef.get<Registry>(METRICS_REGISTRY);
    const inflight = async () => Number((await registry.getSingleMetricAsString('tm_ingest_inflight_messages')).split('\n').find((l) => l.startsWith('tm_ingest_inflight_messages '))?.split(' ')[1]);
    const at = Date.now() - 1000;
    const payload = JSON.stringify({ v: 1, samples: [{ at, spo2: 95 }] });
    // As MqttConsumer.receive does: the weight counts from arrival.
    const m = message('dev-ok', payload);
    moduleRef.get(InflightBudget).add(m.weight);
    expect(await inflight()).toBe(1);
    router.accept(m);
    await until(() => handedOver.length === 1);
    expect(acked).toEqual([m]);
    expect(handedOver[0]).toEqual([expect.objectContaining({ deviceId: 'dev-ok', samples: [{ at, values: { spo2: 95 }, signalOk: true }] })]);
    await new Promise((r) => setTimeout(r, 5));
    expect(await inflight()).toBe(0);
    // The consumer is built by Nest too (not started here: no connection).
    expect(moduleRef.get(MqttConsumer)).toBeInstanceOf(MqttConsumer);
    expect(moduleRef.get(IngestService).connectedCount).toBe(0);
  });
});
