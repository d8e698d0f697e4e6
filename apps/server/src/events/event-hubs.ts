import { Global, Injectable, Logger, Module } from '@nestjs/common';
import type { AlertView } from '#domain';
import { DeviceRegistryEvents } from './device-registry-events.js';
import { Hub } from './hub.js';
import type { StoredDeviceBatch } from './stored-readings.js';
import { UserAccountEvents } from './user-account-events.js';

export { Hub } from './hub.js';
export { DeviceRegistryEvents, type DeviceRegistryEvent } from './device-registry-events.js';
export { UserAccountEvents, type UserAccountEvent } from './user-account-events.js';

/** Ingestion → rules: device batches, published after their commit, in order per device. */
@Injectable()
export class StoredReadingsHub extends Hub<StoredDeviceBatch[]> {
  constructor() {
    super(new Logger('StoredReadingsHub'));
  }
}

/** A committed alert transition, as the console receives it. */
export interface AlertEventMessage {
  /** Monotonic alert_events.id (string: bigint). Consoles resume from it with alerts.sync. */
  eventId: string;
  kind: 'raised' | 'occurrence' | 'severity' | 'acknowledged' | 'resolved' | 'escalated';
  /** socket event name of CONTRACT.md §2 */
  event: 'alert.raised' | 'alert.updated';
  careTeamId: string;
  /** Set when the alert is escalated: these physicians receive it too. */
  physicianIds: string[];
  alert: AlertView;
}

export type AlertEventKind = AlertEventMessage['kind'];

/** The socket event of a transition: a new alert is `alert.raised`, every later transition `alert.updated`. */
export function socketEventOf(kind: AlertEventKind): AlertEventMessage['event'] {
  return kind === 'raised' ? 'alert.raised' : 'alert.updated';
}

/**
 * The one place an AlertEventMessage is built (rules decisions, human transitions, escalations,
 * the relay's read-back of an event), so that every path sends the console the same message.
 */
export function alertEventMessage(m: {
  eventId: string;
  kind: AlertEventKind;
  careTeamId: string;
  physicianIds: readonly string[];
  alert: AlertView;
}): AlertEventMessage {
  return { eventId: m.eventId, kind: m.kind, event: socketEventOf(m.kind), careTeamId: m.careTeamId, physicianIds: [...m.physicianIds], alert: m.alert };
}

/** Alerts → console: published only after the transition is committed. */
@Injectable()
export class AlertEventsHub extends Hub<AlertEventMessage> {
  constructor() {
    super(new Logger('AlertEventsHub'));
  }
}

@Global()
@Module({
  providers: [StoredReadingsHub, AlertEventsHub, DeviceRegistryEvents, UserAccountEvents],
  exports: [StoredReadingsHub, AlertEventsHub, DeviceRegistryEvents, UserAccountEvents],
})
export class EventHubsModule {}
