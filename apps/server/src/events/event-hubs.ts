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
