import type { AlertEventMessage } from '../events/event-hubs.js';

/** PostgreSQL channel on which processes without the console gateway relay committed alert events. */
export const ALERT_RELAY_CHANNEL = 'tm_alert_events';

/** NOTIFY payloads must stay under 8000 bytes; above this, only the event id is sent. */
export const MAX_RELAY_PAYLOAD_BYTES = 7000;

export type RelayPayload = { v: 1; message: AlertEventMessage } | { v: 1; eventId: string };

export function encodeRelayPayload(message: AlertEventMessage): string {
  const full = JSON.stringify({ v: 1, message } satisfies RelayPayload);
  if (Buffer.byteLength(full, 'utf8') <= MAX_RELAY_PAYLOAD_BYTES) return full;
  return JSON.stringify({ v: 1, eventId: message.eventId } satisfies RelayPayload);
}

/** Returns undefined for anything that is not a payload of ours (the channel is not trusted blindly). */
export function decodeRelayPayload(raw: string | undefined): RelayPayload | undefined {
  if (!raw) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || (value as { v?: unknown }).v !== 1) return undefined;
  const v = value as { message?: Partial<AlertEventMessage>; eventId?: unknown };
  if (typeof v.eventId === 'string' && /^\d{1,18}$/.test(v.eventId)) return { v: 1, eventId: v.eventId };
  const m = v.message;
  if (
    m &&
    typeof m.eventId === 'string' &&
    /^\d{1,18}$/.test(m.eventId) &&
    typeof m.careTeamId === 'string' &&
    Array.isArray(m.physicianIds) &&
    (m.event === 'alert.raised' || m.event === 'alert.updated') &&
    typeof m.kind === 'string' &&
    typeof m.alert === 'object' &&
    m.alert !== null
  ) {
    return { v: 1, message: m as AlertEventMessage };
  }
  return undefined;
}
