import { beforeAll, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { IPublishPacket } from 'mqtt';
import { Registry } from 'prom-client';
import { readingsTopic, statusTopic } from '#protocol';
import { loadConfig } from '../config/app-config.js';
import { InflightBudget } from './inflight-budget.js';
import type { InflightMessage } from './inflight-message.js';
import { IngestMetrics } from './ingest.metrics.js';
import type { MessageRouter } from './message-router.js';
import { MqttConsumer, type BudgetSource } from './mqtt-consumer.js';
import { deviceShard } from './device-shard.js';

const MiB = 1_048_576;

/** Stands for an IngestConnection: what MqttConsumer.receive uses of it (no broker). */
class FakeConnection {
  generation = 3;
  readonly queued: InflightMessage[] = [];
  readonly settled: InflightMessage[] = [];
  resumes = 0;
  enqueue(message: InflightMessage): void {
    this.queued.push(message);
  }
  settle(message: InflightMessage): void {
    this.settled.push(message);
  }
  resumed(): void {
    this.resumes++;
  }
}

/** A consumer that is never started (no connections): its receive path and the budget's release are driven directly. */
function setup(maxInflightBytes = MiB, handle: (m: InflightMessage) => void = () => undefined, env: Record<string, string> = {}) {
  const registry = new Registry();
  const config = loadConfig({ JWT_SECRET: 'unit-secret-0123456789abcdef0123456789', INGEST_MAX_INFLIGHT_BYTES: String(maxInflightBytes), ...env });
  const accepted: InflightMessage[] = [];
  const metrics = new IngestMetrics(registry);
  // As IngestModule builds it: shared with the rules hand-over, which releases.
  const budget = new InflightBudget<BudgetSource>(config.ingest.maxInflightBytes, metrics, (connection) => connection.resumed());
  const router = { accept: (m: InflightMessage) => (accepted.push(m), handle(m)) } as unknown as MessageRouter;
  const consumer = new MqttConsumer(config, metrics, budget, router);
  const gauge = async (name: string) => Number((await registry.getSingleMetricAsString(name)).split('\n').find((l) => l.startsWith(`${name} `))?.split(' ')[1]);
  /** Delivers one packet as mqtt.js's handleMessage would; returns what its callback received (undefined while held). */
  const deliver = (connection: FakeConnection, bytes: number, qos: 0 | 1 = 1, id = 1, topic = 'tm/v1/devices/OX-1/readings') => {
    const calls: (Error | undefined)[] = [];
    const packet = { cmd: 'publish', qos, dup: false, retain: false, messageId: id, topic, payload: Buffer.alloc(bytes, 0x20) } as IPublishPacket;
    consumer.receive(connection as never, packet, (err?: Error) => void calls.push(err));
    return calls;
  };
  return { consumer, budget, accepted, gauge, deliver };
}

describe('MqttConsumer back-pressure (in-flight byte budget)', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('reads on at once below the budget: the QoS 1 callback gets "acknowledge later", no PUBACK; the message is queued for its ack', async () => {
    const { accepted, gauge, deliver } = setup();
    const c = new FakeConnection();
    const calls = deliver(c, 1000);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.message).toBe('acknowledged after commit');
    expect(accepted).toHaveLength(1);
    expect(accepted[0]).toMatchObject({ weight: 1064, generation: 3, messageId: 1, ackTarget: c });
    expect(c.queued).toEqual(accepted);
    expect(await gauge('tm_ingest_inflight_bytes')).toBe(1064);
    expect(await gauge('tm_ingest_inflight_messages')).toBe(1);
  });

  it('holds the callback of the connection whose message uses the budget up, and of any other that takes one, until released', async () => {
    const { budget, gauge, deliver } = setup(MiB);
    const a = new FakeConnection();
    const b = new FakeConnection();
    const first = deliver(a, MiB - 100, 1, 1); // MiB - 36 bytes: under
    expect(first).toHaveLength(1);
    const second = deliver(a, 100, 1, 2); // over: held
    const third = deliver(b, 10, 1, 3); // b reads one more, then is held too
    expect(second).toEqual([]);
    expect(third).toEqual([]);
    expect(await gauge('tm_ingest_paused_connections')).toBe(2);
    expect(await gauge('tm_ingest_inflight_bytes')).toBe(MiB - 100 + 64 + 164 + 74);

    budget.release(164, 1); // still over by 38
    expect(second).toEqual([]);
    budget.release(MiB - 36, 1); // the big one is done: both resume
    expect(second).toHaveLength(1);
    expect(third).toHaveLength(1);
    expect(a.resumes + b.resumes).toBe(2);
    expect(await gauge('tm_ingest_paused_connections')).toBe(0);
    expect(await gauge('tm_ingest_inflight_bytes')).toBe(74);
    expect(await gauge('tm_ingest_inflight_messages')).toBe(1);
    expect(await gauge('tm_ingest_inflight_bytes_max')).toBe(MiB - 100 + 64 + 164 + 74);
  });

  it('counts a QoS 0 message in the budget too, and completes it with a plain callback', () => {
    const { budget, deliver, accepted } = setup(MiB);
    const c = new FakeConnection();
    expect(deliver(c, 2 * MiB, 0)).toEqual([]); // held: over budget
    expect(c.queued).toEqual([]); // nothing to acknowledge
    expect(accepted[0]?.ackTarget).toBeNull();
    const calls = deliver(new FakeConnection(), 1, 0);
    expect(calls).toEqual([]);
    budget.release(2 * MiB + 64, 1);
    expect(calls).toEqual([undefined]);
  });

  it('after pause (shutdown) holds every callback, whatever the budget', () => {
    const { consumer, budget, deliver } = setup();
    consumer.pause();
    const calls = deliver(new FakeConnection(), 10);
    budget.release(74, 1);
    expect(calls).toEqual([]);
  });

  it('keeps counting and holding when the handler throws (a bug): the message stays unacknowledged for redelivery', async () => {
    const { gauge, deliver } = setup(MiB, () => {
      throw new Error('bug');
    });
    const c = new FakeConnection();
    expect(deliver(c, 10)).toHaveLength(1);
    expect(deliver(c, 2 * MiB, 1, 2)).toEqual([]);
    expect(await gauge('tm_ingest_inflight_messages')).toBe(2);
  });

  it('drops the held callback of a closed connection: not called when the budget frees', async () => {
    const { consumer, budget, gauge, deliver } = setup();
    const c = new FakeConnection();
    const calls = deliver(c, 2 * MiB);
    consumer.dropHeld(c as never);
    expect(await gauge('tm_ingest_paused_connections')).toBe(0);
    budget.release(2 * MiB + 64, 1);
    expect(calls).toEqual([]);
  });
});

describe('MqttConsumer in shards mode (INGEST_SHARDS / INGEST_SHARD)', () => {
  beforeAll(() => Logger.overrideLogger(false));
  // Two devices, one per shard of two.
  const ids = Array.from({ length: 50 }, (_, i) => `OX-S${i}`);
  const own = ids.find((id) => deviceShard(id, 2) === 1)!;
  const foreign = ids.find((id) => deviceShard(id, 2) === 0)!;
  const shard1 = { INGEST_SHARDS: '2', INGEST_SHARD: '1' };

  it("acknowledges another shard's message in its turn, without routing it, with no budget weight, and counts it", async () => {
    const { accepted, gauge, deliver } = setup(MiB, undefined, shard1);
    const c = new FakeConnection();
    const calls = deliver(c, 1000, 1, 7, readingsTopic(foreign));
    expect(calls.map((e) => e?.message)).toEqual(['acknowledged after commit']); // no PUBACK by mqtt.js: ours, in order
    expect(accepted).toEqual([]);
    expect(c.queued).toHaveLength(1);
    expect(c.settled).toEqual(c.queued);
    expect(c.queued[0]).toMatchObject({ messageId: 7, foreign: true, weight: 0, generation: 3 });
    expect(await gauge('tm_ingest_inflight_bytes')).toBe(0);
    expect(await gauge('tm_ingest_inflight_messages')).toBe(0);
    expect(await gauge('tm_ingest_foreign_shard_messages_total')).toBe(1);
  });

  it('routes its own shard\'s readings and status the normal way (acknowledged after the commit)', async () => {
    const { accepted, gauge, deliver } = setup(MiB, undefined, shard1);
    const c = new FakeConnection();
    deliver(c, 100, 1, 1, readingsTopic(own));
    deliver(c, 100, 1, 2, statusTopic(own));
    deliver(c, 100, 1, 3, statusTopic(foreign));
    expect(accepted.map((m) => m.messageId)).toEqual([1, 2]);
    expect(c.settled.map((m) => m.messageId)).toEqual([3]);
    expect(c.queued.map((m) => m.messageId)).toEqual([1, 2, 3]); // the foreign PUBACK waits behind 1 and 2
    expect(await gauge('tm_ingest_foreign_shard_messages_total')).toBe(1);
  });

  it("keeps a held connection held on another shard's message (back-pressure still applies)", () => {
    const { budget, deliver } = setup(MiB, undefined, shard1);
    const c = new FakeConnection();
    expect(deliver(c, 2 * MiB, 1, 1, readingsTopic(own))).toEqual([]); // over budget: held
    const calls = deliver(c, 10, 1, 2, readingsTopic(foreign));
    expect(calls).toEqual([]);
    budget.release(2 * MiB + 64, 1);
    expect(calls).toHaveLength(1);
  });

  it('stores everything without shards', () => {
    const { accepted, deliver } = setup();
    const c = new FakeConnection();
    deliver(c, 10, 1, 1, readingsTopic(foreign));
    deliver(c, 10, 1, 2, readingsTopic(own));
    expect(accepted).toHaveLength(2);
  });
});
