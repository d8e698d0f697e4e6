import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { StoredReadingsHub } from '../events/event-hubs.js';
import type { StoredDeviceBatch } from '../events/stored-readings.js';
import { InflightBudget } from './inflight-budget.js';
import { IngestBatch } from './ingest-batch.js';
import { InflightMessage } from './inflight-message.js';
import { IngestMetrics } from './ingest.metrics.js';
import { RulesHandover } from './rules-handover.js';

const device = { deviceId: 'OX-1', patientId: '00000000-0000-4000-8000-000000000001', kind: 'oximeter' as const, active: true };

/** Sealed batch `seq` with one message of weight 100 and one sample at `at`. */
function batch(seq: number, at: number): IngestBatch {
  const b = new IngestBatch();
  b.seq = seq;
  b.addMessage(new InflightMessage(null, 0, 1, 't', Buffer.alloc(0), 0, 0, 100));
  b.addSamples(device, [{ at, values: { spo2: 95 }, signalOk: true }], 0);
  return b;
}

function setup(listening = true) {
  const hub = new StoredReadingsHub();
  const budget = new InflightBudget<unknown>(1_048_576, new IngestMetrics(new Registry()));
  const events: string[] = [];
  const published: StoredDeviceBatch[][] = [];
  let gate: Promise<void> | undefined;
  if (listening) {
    hub.subscribe(async (stored) => {
      if (gate) {
        events.push(`start ${stored[0]!.samples[0]!.at}`);
        await gate;
      }
      published.push(stored);
      events.push(`publish ${stored[0]!.samples[0]!.at}`);
    });
  }
  const release = budget.release.bind(budget);
  budget.release = (weight, messages) => {
    events.push(`release ${weight}`);
    release(weight, messages);
  };
  budget.add(300);
  const handover = new RulesHandover(hub, budget);
  const hold = (p: Promise<void>): void => {
    gate = p;
  };
  return { handover, budget, events, published, hold };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('RulesHandover', () => {
  it('hands batches over in seal order, waiting for an earlier one still being committed', async () => {
    const { handover, events } = setup();
    const b1 = batch(1, 1000);
    const b2 = batch(2, 2000);
    handover.collect(b2);
    handover.finish(b2);
    await settle();
    expect(events).toEqual([]); // batch 1 is not committed yet
    handover.collect(b1);
    handover.finish(b1);
    await settle();
    expect(events).toEqual(['publish 1000', 'release 100', 'publish 2000', 'release 100']);
  });

  it('hands every committed sub-batch of a split batch over, then frees the whole batch once', async () => {
    const { handover, events, budget } = setup();
    const parent = batch(1, 0);
    parent.addMessage(new InflightMessage(null, 0, 2, 't', Buffer.alloc(0), 0, 0, 100));
    handover.collect(batch(1, 1000));
    handover.collect(batch(1, 2000));
    handover.finish(parent);
    await settle();
    expect(events).toEqual(['publish 1000', 'publish 2000', 'release 200']);
    expect(budget.bytes).toBe(100);
  });

  it('publishes one batch at a time: a slow rule holds the budget, the next batch waits', async () => {
    const { handover, events, hold } = setup();
    let open!: () => void;
    hold(new Promise((r) => (open = r)));
    handover.collect(batch(1, 1000));
    handover.finish(batch(1, 1000));
    handover.collect(batch(2, 2000));
    handover.finish(batch(2, 2000));
    await settle();
    expect(events).toEqual(['start 1000']); // batch 2 not started while batch 1's rules run
    open();
    await settle();
    expect(events).toEqual(['start 1000', 'publish 1000', 'release 100', 'start 2000', 'publish 2000', 'release 100']);
  });

  it('with nobody listening keeps nothing, and still frees the budget in order', async () => {
    const { handover, events, budget } = setup(false);
    handover.collect(batch(1, 1000));
    handover.finish(batch(1, 1000));
    await settle();
    expect(events).toEqual(['release 100']);
    expect(budget.bytes).toBe(200);
  });
});
