import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import mqtt, { type MqttClient } from 'mqtt';
import { readFileSync } from 'node:fs';
import { readingsTopic } from '#protocol';
import { startOwnBroker, type OwnBroker } from '../../support/own-broker.js';
import { eventually } from '../../support/test-app.js';

// The project-level testTimeout of jest.config.js is not applied (Jest 30): set it here.
jest.setTimeout(90_000);

const BROKER_PORT = 19165;
const MESSAGES = 6000;
const DEVICES = 20;

/** CPU time (user + system, ms) of a process so far, from /proc (clock ticks of 10 ms). */
function cpuMs(pid: number | undefined): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * What ingest shards (INGEST_SHARDS=N) cost the broker: every shard has its own plain
 * subscription, so each message is delivered N times instead of once (docs/scaling.md, "Ingest
 * shards"). The same QoS 1 stream (oximeter-sized messages from 20 devices) is sent through a
 * Mosquitto of the test's own with 1, 2 and 4 persistent plain subscribers, and the broker's CPU
 * time is read from /proc. Checks that every subscriber receives every message; the CPU figures
 * are printed, not asserted (the machine is shared).
 */
describe('broker cost of ingest shards: one plain subscription per shard (fan-out)', () => {
  let broker: OwnBroker;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    broker = await startOwnBroker({ port: BROKER_PORT, persistence: false });
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await broker?.dispose();
  });

  it('delivers every message to every shard; prints the broker CPU per message for 1, 2 and 4 shards', async () => {
    const payload = JSON.stringify({ v: 1, samples: Array.from({ length: 5 }, (_, i) => ({ at: 1_700_000_000_000 + i * 1000, spo2: 95, pulseRate: 72, perfusionIndex: 2.1 })) });
    const devices = await Promise.all(
      Array.from({ length: DEVICES }, (_, k) => mqtt.connectAsync(broker.url, { clientId: `fanout-dev-${process.pid}-${k}`, protocolVersion: 5, reconnectPeriod: 0 })),
    );
    clients.push(...devices);
    const figures: { shards: number; cpuMs: number; ms: number }[] = [];
    for (const shards of [1, 2, 4]) {
      const received = Array.from({ length: shards }, () => 0);
      const subscribers = await Promise.all(
        Array.from({ length: shards }, async (_, s) => {
          const sub = await mqtt.connectAsync(broker.url, {
            clientId: `fanout-shard-${process.pid}-${shards}-${s}`,
            protocolVersion: 5,
            clean: false,
            properties: { sessionExpiryInterval: 60 },
            reconnectPeriod: 0,
          });
          sub.on('message', () => void received[s]!++);
          await sub.subscribeAsync('tm/v1/devices/+/readings', { qos: 1 });
          return sub;
        }),
      );
      clients.push(...subscribers);
      const before = cpuMs(broker.pid());
      const started = Date.now();
      // Each device sends its share, a window of 10 unacknowledged messages at a time.
      await Promise.all(
        devices.map(async (device, k) => {
          const mine = MESSAGES / DEVICES;
          for (let m = 0; m < mine; m += 10) {
            await Promise.all(Array.from({ length: 10 }, () => device.publishAsync(readingsTopic(`OX-FAN-${k}`), payload, { qos: 1 })));
          }
        }),
      );
      await eventually(async () => received.every((n) => n >= MESSAGES), 30_000, 20);
      figures.push({ shards, cpuMs: cpuMs(broker.pid()) - before, ms: Date.now() - started });
      expect(received).toEqual(Array(shards).fill(MESSAGES));
      await Promise.all(subscribers.map((s) => s.endAsync()));
    }
    console.log(
      `broker (Mosquitto) CPU for ${MESSAGES} QoS 1 messages of ${payload.length} bytes from ${DEVICES} devices: ` +
        figures
          .map((f) => `${f.shards} shard(s): ${f.cpuMs} ms (${Math.round((f.cpuMs * 1000) / MESSAGES)} µs per message, ${Math.round((MESSAGES * 1000) / f.ms)} messages/s)`)
          .join('; '),
    );
  });
});
