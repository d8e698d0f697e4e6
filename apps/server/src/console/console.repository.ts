import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import type { Role } from '#domain';
import { ALERT_SELECT, toAlertView, type AlertRow } from '../alerts/alert.repository.js';
import type { Principal } from '../auth/principal.js';
import { PG_POOL } from '../database/database.module.js';
import type { AlertEventMessage } from '../events/event-hubs.js';
import type { AlertEventKind, ConsoleAlert, SyncResult } from './console-events.js';

/** At most this many events per alerts.sync answer; the console pages with `hasMore`. */
export const SYNC_PAGE_SIZE = 1000;

interface EventRow extends AlertRow {
  event_id: string | null;
  event_kind: AlertEventKind | null;
}

export interface UserScope {
  role: Role;
  active: boolean;
  careTeamIds: string[];
}

/** Orders decimal bigint ids without losing precision. */
export const compareIds = (x: string, y: string): number => (x.length - y.length) || (x < y ? -1 : x > y ? 1 : 0);

const toConsoleAlert = (row: EventRow): ConsoleAlert => ({
  ...toAlertView(row),
  eventId: row.event_id ?? '0',
  eventKind: row.event_kind ?? 'raised',
});

/**
 * Reads for the console: what a user may see of the alert event log, from the database (never
 * from memory), so that a console that was away gets every event it missed.
 */
@Injectable()
export class ConsoleRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /** Current role, status and care teams of users (memberships can change while a console is open). */
  async scopes(userIds: string[]): Promise<Map<string, UserScope>> {
    if (userIds.length === 0) return new Map();
    const { rows } = await this.pool.query<{ id: string; role: Role; active: boolean; teams: string[] }>(
      `SELECT u.id, u.role, u.active, array_remove(array_agg(m.care_team_id::text ORDER BY m.care_team_id), NULL) AS teams
         FROM users u LEFT JOIN user_care_teams m ON m.user_id = u.id
        WHERE u.id = ANY($1::uuid[]) GROUP BY u.id`,
      [userIds],
    );
    return new Map(rows.map((r) => [r.id, { role: r.role, active: r.active, careTeamIds: r.teams }]));
  }

  /**
   * `alerts.sync`: the events after `afterId` the principal may see (care teams of the patient, now
   * and at the time of the event), one page at a time; on the last page, every active (open or
   * acknowledged) alert too, each with its latest event id. Event ids become visible in id order
   * (AlertRepository.appendEvent), so nothing is behind a returned cursor; the second part makes
   * a console resuming from any older cursor complete too (docs/architecture-console.md).
   * Without afterId (first connect) only the active alerts are returned.
   * Everything is read in one REPEATABLE READ snapshot, so `lastEventId` matches the rows.
   */
  async sync(principal: Pick<Principal, 'careTeamIds'>, afterId: string | undefined, pageSize = SYNC_PAGE_SIZE): Promise<SyncResult> {
    const teams = principal.careTeamIds;
    if (teams.length === 0) return { alerts: [], lastEventId: afterId ?? null, hasMore: false };
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const alerts: ConsoleAlert[] = [];
      if (afterId !== undefined) {
        const events = await this.eventsAfter(client, teams, afterId, pageSize + 1);
        if (events.length > pageSize) {
          const page = events.slice(0, pageSize);
          await client.query('COMMIT');
          return { alerts: page.map(toConsoleAlert), lastEventId: page[page.length - 1]!.event_id, hasMore: true };
        }
        alerts.push(...events.map(toConsoleAlert));
      }
      // Active alerts not already present with that same event; then everything in event order.
      const seen = new Set(alerts.map((a) => `${a.id}:${a.eventId}`));
      alerts.push(...(await this.activeAlerts(client, teams)).map(toConsoleAlert).filter((a) => !seen.has(`${a.id}:${a.eventId}`)));
      alerts.sort((x, y) => compareIds(x.eventId, y.eventId));
      const { rows } = await client.query<{ max: string | null }>(
        `SELECT max(id)::text AS max FROM alert_events WHERE care_team_id = ANY($1::uuid[])`,
        [teams],
      );
      await client.query('COMMIT');
      return { alerts, lastEventId: rows[0]?.max ?? afterId ?? null, hasMore: false };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** One event as the hub would have published it (for relayed references too large for NOTIFY). */
  async eventMessage(eventId: string): Promise<AlertEventMessage | undefined> {
    const { rows } = await this.pool.query<EventRow & { event_team: string }>(
      `SELECT x.*, e.id::text AS event_id, e.kind AS event_kind, e.care_team_id::text AS event_team
         FROM alert_events e JOIN LATERAL (${ALERT_SELECT} WHERE a.id = e.alert_id) x ON true
        WHERE e.id = $1`,
      [eventId],
    );
    const row = rows[0];
    if (!row) return undefined;
    const physicianIds = row.escalated
      ? (
          await this.pool.query<{ id: string }>(
            `SELECT u.id FROM users u JOIN user_care_teams m ON m.user_id = u.id
              WHERE m.care_team_id = $1 AND u.role = 'physician' AND u.active`,
            [row.care_team_id],
          )
        ).rows.map((r) => r.id)
      : [];
    const kind = row.event_kind ?? 'raised';
    return {
      eventId,
      kind,
      event: kind === 'raised' ? 'alert.raised' : 'alert.updated',
      careTeamId: row.event_team,
      physicianIds,
      alert: toAlertView(row),
    };
  }

  private async eventsAfter(client: PoolClient, teams: string[], afterId: string, limit: number): Promise<EventRow[]> {
    const { rows } = await client.query<EventRow>(
      `SELECT x.*, e.id::text AS event_id, e.kind AS event_kind
         FROM alert_events e JOIN LATERAL (${ALERT_SELECT} WHERE a.id = e.alert_id) x ON true
        WHERE e.id > $1::bigint AND e.care_team_id = ANY($2::uuid[]) AND x.care_team_id = ANY($2::uuid[])
        ORDER BY e.id LIMIT $3`,
      [afterId, teams, limit],
    );
    return rows;
  }

  private async activeAlerts(client: PoolClient, teams: string[]): Promise<EventRow[]> {
    // LEFT JOIN: an active alert is shown even if (against every writer's contract) it has no event.
    const { rows } = await client.query<EventRow>(
      `SELECT x.*, le.id::text AS event_id, le.kind AS event_kind
         FROM (${ALERT_SELECT} WHERE a.status IN ('open', 'acknowledged') AND p.care_team_id = ANY($1::uuid[])) x
         LEFT JOIN LATERAL (SELECT e.id, e.kind FROM alert_events e WHERE e.alert_id = x.id::bigint ORDER BY e.id DESC LIMIT 1) le ON true
        ORDER BY le.id NULLS FIRST`,
      [teams],
    );
    return rows;
  }
}
