import type { AlertView, Role } from '#domain';
import type { AlertEventKind, AlertEventMessage } from '../events/event-hubs.js';

export { socketEventOf } from '../events/event-hubs.js';

/** socket.io namespace of the nurse console (CONTRACT.md §2). */
export const CONSOLE_NAMESPACE = '/console';

export type { AlertEventKind };
export type AlertSocketEvent = AlertEventMessage['event'];

/**
 * What a console receives for an alert: the alert exactly as REST `GET /api/alerts/:id` returns it,
 * plus two extra fields naming the event that produced this state. `eventId` is the monotonic
 * alert_events id a console resumes from with `alerts.sync { afterId }` (docs/console.md).
 */
export interface ConsoleAlert extends AlertView {
  eventId: string;
  eventKind: AlertEventKind;
}

/** Answer of `alerts.sync`. */
export interface SyncResult {
  /**
   * One entry per event after `afterId` and, on the last page, one per active alert (with its latest
   * event) not already listed; in ascending eventId order. Alert fields are the alert's state now.
   */
  alerts: ConsoleAlert[];
  /** Resume from this id next time (null when the user may see no event at all). */
  lastEventId: string | null;
  /** More events after `lastEventId`: call again with it. */
  hasMore: boolean;
}

/** Server → client events (CONTRACT.md §2, plus the `alerts.resync` hint of docs/console.md). */
export interface ServerToClientEvents {
  'alert.raised': (alert: ConsoleAlert) => void;
  'alert.updated': (alert: ConsoleAlert) => void;
  /** The server may have missed live events (relay or Redis link restored): call alerts.sync. */
  'alerts.resync': () => void;
  /** The connection's token expired without `auth.renew`, or the user was deactivated; the server disconnects next. */
  'auth.expired': (info: { reason: 'expired' | 'deactivated' }) => void;
}

export const teamRoom = (careTeamId: string): string => `team:${careTeamId}`;
export const userRoom = (userId: string): string => `user:${userId}`;

/** The rooms a console joins: its care teams, and for physicians their own room (escalations). */
export function roomsFor(principal: { userId: string; role: Role; careTeamIds: readonly string[] }): string[] {
  const rooms = principal.careTeamIds.map(teamRoom);
  if (principal.role === 'physician') rooms.push(userRoom(principal.userId));
  return rooms;
}

/** The rooms an alert event goes to: its patient's care team and, once escalated, the patient's physicians. */
export function roomsOf(message: Pick<AlertEventMessage, 'careTeamId' | 'physicianIds'>): string[] {
  return [...new Set([teamRoom(message.careTeamId), ...message.physicianIds.map(userRoom)])];
}

export function toConsoleAlert(message: Pick<AlertEventMessage, 'eventId' | 'kind' | 'alert'>): ConsoleAlert {
  return { ...message.alert, eventId: message.eventId, eventKind: message.kind };
}
