import { setTimeout as sleep } from 'node:timers/promises';
import { eventTime, type DeviceEvent } from '../generators/device-stream.js';
import type { RunStats } from './run-stats.js';
import type { SimDevice } from './sim-device.js';

export interface DeviceRunOptions {
  device: SimDevice;
  events: Iterable<DeviceEvent>;
  stats: RunStats;
  /** Unacknowledged publishes allowed per device before it waits (history catch-up speed). */
  maxInflight?: number;
  signal?: AbortSignal;
  /** The wall clock (injectable for tests). */
  clock?: () => number;
  log?: (message: string) => void;
}

/**
 * Plays a device's event stream on MQTT: each event at its time (history events are already
 * due, so they go out as fast as PUBACKs allow), the device dropping off and coming back as the
 * scenario says. Ends when the stream ends or `signal` aborts; then waits for outstanding
 * PUBACKs and says goodbye (a silent device does not: its Last Will stands).
 */
export async function runDevice(o: DeviceRunOptions): Promise<'ended' | 'silent' | 'aborted'> {
  const clock = o.clock ?? Date.now;
  const maxInflight = o.maxInflight ?? 20;
  let outcome: 'ended' | 'silent' | 'aborted' = 'ended';
  try {
    for (const event of o.events) {
      if (o.signal?.aborted) {
        outcome = 'aborted';
        break;
      }
      const wait = eventTime(event) - clock();
      if (wait > 0) await sleep(wait, undefined, { signal: o.signal });
      switch (event.type) {
        case 'publish':
          await o.device.waitBelow(maxInflight);
          o.stats.onPublish(event.sampleCount, event.sessionCount);
          void o.device.publish(event.payload, { samples: event.sampleCount });
          break;
        case 'disconnect':
          o.log?.(`${o.device.deviceId}: offline (no DISCONNECT: Last Will published)`);
          await o.device.dropOffline();
          break;
        case 'reconnect':
          await o.device.reconnect();
          o.log?.(`${o.device.deviceId}: back online, uploading its backlog`);
          break;
        case 'silent':
          o.log?.(`${o.device.deviceId}: silent from now on (Last Will published)`);
          await o.device.dropOffline();
          return 'silent';
      }
    }
  } catch (err) {
    // (not instanceof: the AbortError of timers/promises may come from another realm)
    if ((err as { name?: string } | undefined)?.name !== 'AbortError') {
      await o.device.close();
      throw err;
    }
    outcome = 'aborted';
  }
  await o.device.close();
  return outcome;
}
