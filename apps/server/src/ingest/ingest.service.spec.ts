import { beforeAll, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Registry } from 'prom-client';
import { loadConfig } from '../config/app-config.js';
import { StoredReadingsHub } from '../events/event-hubs.js';
import type { DeviceCache } from './device-cache.js';
import type { DeviceInfo, IngestDeviceRepository } from './ingest-device.repository.js';
import type { IngestBatch } from './ingest-batch.js';
import { IngestMetrics } from './ingest.metrics.js';
import { IngestService } from './ingest.service.js';
import { InflightMessage } from './inflight-message.js';
import type { ReadingRepository } from './reading.repository.js';

/** Builds the service around an in-memory device table and a repository that keeps what it commits. */
function setup(device: DeviceInfo) {
  const committed: IngestBatch[] = [];
  const readings = {
    commit: async (batch: IngestBatch) => {
      committed.push(batch);
      return { insertedRows: batch.rowCount, insertedSessions: 0 };
    },
  } as unknown as ReadingRepository;
  const devices = { peek: () => device, load: async () => device } as unknown as DeviceCache;
  const config = loadConfig({ JWT_SECRET: 'unit-secret-0123456789abcdef0123456789', INGEST_BATCH_MAX_DELAY_MS: '1' });
  const service = new IngestService(config, new IngestMetrics(new Registry()), devices, {} as IngestDeviceRepository, readings, new StoredReadingsHub());
  const acked: InflightMessage[] = [];
  const message = (deviceId: string, payload: string) =>
    new InflightMessage({ settle: (m) => acked.push(m) }, 0, 1, `tm/v1/devices/${deviceId}/readings`, Buffer.from(payload), Date.now(), 0, payload.length);
  return { service, committed, acked, message };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!check()) throw new Error('condition not met');
};

describe('IngestService, a failure while processing a message', () => {
  beforeAll(() => Logger.overrideLogger(false));
  it('records the message as a processing-failed dead letter and still acknowledges it after the commit', async () => {
    // A registration whose fields throw when read: stands for any bug on the routing path.
    const broken = { deviceId: 'dev-broken', patientId: 'p1', kind: 'oximeter' } as DeviceInfo;
    Object.defineProperty(broken, 'active', { get: () => { throw new Error('boom'); } });
    const { service, committed, acked, message } = setup(broken);
    const m = message('dev-broken', JSON.stringify({ v: 1, samples: [{ at: Date.now(), spo2: 95 }] }));
    service.accept(m);
    await until(() => acked.length === 1);
    expect(acked).toEqual([m]);
    const batch = committed.find((b) => b.messages.includes(m))!;
    expect(batch.rejectionReasons).toEqual(['processing-failed']);
    expect(batch.rejectionDetails[0]).toContain('boom');
    expect(batch.rowCount).toBe(0);
  });

  it('stores a healthy message normally (the same path without the failure)', async () => {
    const { service, committed, acked, message } = setup({ deviceId: 'dev-ok', patientId: '00000000-0000-4000-8000-000000000001', kind: 'oximeter', active: true });
    const m = message('dev-ok', JSON.stringify({ v: 1, samples: [{ at: Date.now() - 1000, spo2: 95 }] }));
    service.accept(m);
    await until(() => acked.length === 1);
    const batch = committed.find((b) => b.messages.includes(m))!;
    expect(batch.rejectionReasons).toEqual([]);
    expect(batch.rowCount).toBe(1);
  });
});
