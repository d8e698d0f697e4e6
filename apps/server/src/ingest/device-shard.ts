import { TOPIC_ROOT } from '#protocol';
import type { IngestShard } from '../config/app-config.js';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * The shard of a device: FNV-1a (32 bits) of its id's UTF-16 code units, modulo `count`. Device
 * ids are ASCII (DEVICE_ID_PATTERN), so that is the id's bytes. Stable across processes,
 * restarts and versions (it is a deployment contract: changing it moves devices between shards,
 * which is safe but loses per-process rule state once), with no dependency and no allocation.
 */
export function deviceShard(deviceId: string, count: number): number {
  let hash = FNV_OFFSET;
  for (let i = 0; i < deviceId.length; i++) {
    hash ^= deviceId.charCodeAt(i);
    hash = Math.imul(hash, FNV_PRIME);
  }
  return (hash >>> 0) % count;
}

const DEVICE_SEGMENT_START = TOPIC_ROOT.length + 1;

/**
 * Whether a message on `topic` belongs to another shard than `shard`. The device is the topic's
 * `{deviceId}` level taken as it is, valid or not, so that a bad-topic message is also recorded
 * by exactly one shard (the subscription `tm/v1/devices/+/…` guarantees the level exists); a
 * topic outside that root (none is subscribed) is shard 0's.
 */
export function isForeignShard(topic: string, shard: IngestShard): boolean {
  if (shard.count <= 1) return false;
  if (!topic.startsWith(`${TOPIC_ROOT}/`)) return shard.index !== 0;
  const end = topic.indexOf('/', DEVICE_SEGMENT_START);
  const device = topic.slice(DEVICE_SEGMENT_START, end === -1 ? undefined : end);
  return deviceShard(device, shard.count) !== shard.index;
}
