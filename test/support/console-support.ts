import { io, type Socket } from 'socket.io-client';
import type { RuleId, Severity } from '#domain';
import { ALERT_SELECT, toAlertView, type AlertRecord } from '../../apps/server/src/alerts/alert.repository.js';
import { AlertEventsHub, alertEventMessage, type AlertEventMessage } from '../../apps/server/src/events/event-hubs.js';
import type { ConsoleAlert } from '../../apps/server/src/console/console-events.js';
import type { TestApp } from './test-app.js';

/**
 * Raises an alert the way the rules engine does (issue 3): alert row + 'raised' event in one
 * transaction, then the committed event on the AlertEventsHub of `publisher`. Until the rules
 * are merged this is how console tests get alerts.
 */
export async function raiseAlert(
  publisher: TestApp,
  patientId: string,
  options: { rule?: RuleId; severity?: Severity; value?: number; threshold?: number; physicianIds?: string[]; publish?: boolean } = {},
): Promise<AlertEventMessage> {
  const client = await publisher.pool.connect();
  let message: AlertEventMessage;
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO alerts (patient_id, rule, severity, status, started_at, last_triggered_at, value, threshold, message, news2_spo2_score)
       VALUES ($1, $2, $3, 'open', now() - interval '2 minutes', now(), $4, $5, $6, $7) RETURNING id::text AS id`,
      [
        patientId,
        options.rule ?? 'spo2.critical',
        options.severity ?? 'critical',
        options.value ?? 82,
        options.threshold ?? 85,
        `SpO2 ${options.value ?? 82} % below ${options.threshold ?? 85} %`,
        3,
      ],
    );
    const row = (await client.query<AlertRecord>(`${ALERT_SELECT} WHERE a.id = $1`, [rows[0]!.id])).rows[0]!;
    const event = await client.query<{ id: string }>(
      `INSERT INTO alert_events (alert_id, patient_id, care_team_id, kind) VALUES ($1, $2, $3, 'raised') RETURNING id::text AS id`,
      [row.id, row.patientId, row.careTeamId],
    );
    await client.query('COMMIT');
    message = alertEventMessage({
      eventId: event.rows[0]!.id,
      kind: 'raised',
      careTeamId: row.careTeamId,
      physicianIds: options.physicianIds ?? [],
      alert: toAlertView(row),
    });
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
  if (options.publish !== false) await publisher.app.get(AlertEventsHub).publish(message);
  return message;
}

export interface ConsoleClient {
  socket: Socket;
  /** Every alert.raised / alert.updated received, in order. */
  received: Array<{ event: string; alert: ConsoleAlert }>;
  request<T = unknown>(event: string, payload?: unknown): Promise<T>;
  close(): void;
}

/** Connects to /console like the page does (websocket transport, token in the handshake). */
export function connectConsole(baseUrl: string, token: string | undefined, options: { reconnection?: boolean } = {}): Promise<ConsoleClient> {
  const socket = io(`${baseUrl}/console`, {
    auth: token === undefined ? {} : { token },
    transports: ['websocket'],
    reconnection: options.reconnection ?? false,
    forceNew: true,
    timeout: 5000,
  });
  const received: ConsoleClient['received'] = [];
  for (const event of ['alert.raised', 'alert.updated']) socket.on(event, (alert: ConsoleAlert) => received.push({ event, alert }));
  const client: ConsoleClient = {
    socket,
    received,
    request: (event, payload) =>
      (payload === undefined ? socket.timeout(10000).emitWithAck(event) : socket.timeout(10000).emitWithAck(event, payload)) as never,
    close: () => socket.close(),
  };
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(client));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

/** The connect_error a refused handshake produces: message and data.code. */
export async function refusal(baseUrl: string, token: string | undefined): Promise<{ message: string; code?: string }> {
  try {
    const c = await connectConsole(baseUrl, token);
    c.close();
    return { message: 'connected' };
  } catch (err) {
    const e = err as Error & { data?: { code?: string } };
    return { message: e.message, code: e.data?.code };
  }
}
