/** MQTT topics of CONTRACT.md §1. A device may publish only under its own prefix. */
export const TOPIC_ROOT = 'tm/v1/devices';

/** Device serials: what the registry accepts, and all a topic segment may hold. */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9_-]{3,64}$/;

export type DeviceChannel = 'readings' | 'status';

export function readingsTopic(deviceId: string): string {
  return `${TOPIC_ROOT}/${deviceId}/readings`;
}

export function statusTopic(deviceId: string): string {
  return `${TOPIC_ROOT}/${deviceId}/status`;
}

/** Subscription filters of the backend (wrapped in `$share/<group>/` where the broker supports it). */
export const READINGS_FILTER = `${TOPIC_ROOT}/+/readings`;
export const STATUS_FILTER = `${TOPIC_ROOT}/+/status`;

/** `tm/v1/devices/{deviceId}/{channel}` → its parts, or undefined for any other topic. */
export function parseDeviceTopic(topic: string): { deviceId: string; channel: DeviceChannel } | undefined {
  const parts = topic.split('/');
  if (parts.length !== 5 || `${parts[0]}/${parts[1]}/${parts[2]}` !== TOPIC_ROOT) return undefined;
  const deviceId = parts[3]!;
  const channel = parts[4];
  if (!DEVICE_ID_PATTERN.test(deviceId) || (channel !== 'readings' && channel !== 'status')) return undefined;
  return { deviceId, channel };
}
