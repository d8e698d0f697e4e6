import { beforeAll, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Registry } from 'prom-client';
import { BatchAcknowledger } from './batch-acknowledger.js';
import { IngestBatch } from './ingest-batch.js';
import { InflightMessage } from './inflight-message.js';
import { IngestMetrics } from './ingest.metrics.js';
import type { LastSeenTracker } from './last-seen-tracker.js';
import type { RulesHandover } from './rules-handover.js';

const device = { deviceId: 'OX-1', patientId: '00000000-0000-4000-8000-000000000001', kind: 'oximeter' as const, active: true };

/** Records, in one list, the PUBACKs and what the acknowledger hands on, to check their order. */
function setup() {
  const registry = new Registry();
  const events: string[] = [];
  const lastSeen = { note: (seen: ReadonlyMap<string, number>) => void events.push(`last-seen ${[...seen.keys()].join(',')}`) } as unknown as LastSeenTracker;
  const handover = {
    collect: (b: IngestBatch) => void events.push(`collect ${b.seq}`),
    finish: (b: IngestBatch) => void events.push(`finish ${b.seq}`),
  } as unknown as RulesHandover;
  const acknowledger = new BatchAcknowledger(new IngestMetrics(registry), lastSeen, handover);
  const message = (id: number) => new InflightMessage({ settle: (m) => void events.push(`ack ${m.messageId}`) }, 0, id, 'tm/v1/devices/OX-1/readings', Buffer.alloc(0), 0, 0, 10);
  /** One line of a metric: `name` plus `suffix` (a label set, or _sum of a histogram). */
  const metric = async (name: string, suffix = '') =>
    Number((await registry.getSingleMetricAsString(name)).split('\n').find((l) => l.startsWith(`${name}${suffix} `))?.split(' ')[1]);
  return { acknowledger, events, message, metric };
}

describe('BatchAcknowledger', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('acknowledges every message of a committed batch first, then notes last-seen and hands the batch on', () => {
    const { acknowledger, events, message } = setup();
    const batch = new IngestBatch();
    batch.seq = 7;
    batch.addMessage(message(1));
    batch.addMessage(message(2));
    batch.addSamples(device, [{ at: 1000, values: { spo2: 95 }, signalOk: true }], 5000);
    acknowledger.committed(batch, { insertedRows: 1, insertedSessions: 0 }, 3);
    expect(events).toEqual(['ack 1', 'ack 2', 'last-seen OX-1', 'collect 7']);
    acknowledger.finished(batch);
    expect(events.at(-1)).toBe('finish 7');
  });

  it('counts the commit: rows stored and duplicate, samples, rejections by reason, batch size', async () => {
    const { acknowledger, message, metric } = setup();
    const batch = new IngestBatch();
    batch.addMessage(message(1));
    batch.addSamples(device, [{ at: 1000, values: { spo2: 95, pulseRate: 70 }, signalOk: true }, { at: 2000, values: { spo2: 94 }, signalOk: true }], 0);
    batch.addRejection('OX-1', 't', 'out-of-range', null, 0, null);
    acknowledger.committed(batch, { insertedRows: 2, insertedSessions: 1 }, 4);
    expect(await metric('tm_ingest_readings_stored_total')).toBe(2);
    expect(await metric('tm_ingest_readings_duplicate_total')).toBe(1);
    expect(await metric('tm_ingest_samples_accepted_total')).toBe(2);
    expect(await metric('tm_ingest_sessions_stored_total')).toBe(1);
    expect(await metric('tm_ingest_rejections_total', '{reason="out-of-range"}')).toBe(1);
    expect(await metric('tm_ingest_batch_rows', '_sum')).toBe(3);
    expect(await metric('tm_ingest_commit_seconds', '_sum')).toBe(0.004);
  });

  it('abandon acknowledges the message and counts it', async () => {
    const { acknowledger, events, message, metric } = setup();
    acknowledger.abandon(message(9), new Error('refused'));
    expect(events).toEqual(['ack 9']);
    expect(await metric('tm_ingest_messages_abandoned_total')).toBe(1);
  });
});
