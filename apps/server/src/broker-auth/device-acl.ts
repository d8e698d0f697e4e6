import { DEVICE_ID_PATTERN, parseDeviceTopic, READINGS_FILTER, readingsTopic, STATUS_FILTER, statusTopic } from '#protocol';

/**
 * Who may do what on the broker (CONTRACT.md §1), stated once and applied both by the Mosquitto
 * dynamic security provisioning and by the embedded aedes hooks:
 *
 * - a device publishes only `tm/v1/devices/{its id}/readings` and `…/status` (its Last Will is a
 *   status message) and subscribes to nothing;
 * - the backend's ingest identity subscribes only to the device filters, plain or inside a
 *   `$share/<group>/` shared subscription, and publishes nothing.
 */

/** The topics a device may publish to. */
export function devicePublishTopics(deviceId: string): string[] {
  return [readingsTopic(deviceId), statusTopic(deviceId)];
}

/** True when `topic` is one of the device's own topics (exact match, no wildcard). */
export function deviceMayPublish(deviceId: string, topic: string): boolean {
  const parsed = parseDeviceTopic(topic);
  return parsed !== undefined && parsed.deviceId === deviceId;
}

/** Filters the backend's ingest identity subscribes to (it never publishes). */
export const BACKEND_SUBSCRIBE_FILTERS = [READINGS_FILTER, STATUS_FILTER] as const;

/**
 * True when the backend may subscribe to `filter`: one of the device filters, or a device
 * filter inside `$share/<group>/` (any group name: the group is a deployment setting).
 */
export function backendMaySubscribe(filter: string): boolean {
  const plain = filter.startsWith('$share/') ? stripShareGroup(filter) : filter;
  return plain !== undefined && (BACKEND_SUBSCRIBE_FILTERS as readonly string[]).includes(plain);
}

function stripShareGroup(filter: string): string | undefined {
  const rest = filter.slice('$share/'.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return undefined;
  const group = rest.slice(0, slash);
  if (/[+#]/.test(group)) return undefined;
  return rest.slice(slash + 1);
}

/** Broker usernames of devices are their ids: anything else is not a device. */
export function isDeviceId(value: string): boolean {
  return DEVICE_ID_PATTERN.test(value);
}
