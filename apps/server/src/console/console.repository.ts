import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import type { Role } from '#domain';
import { ALERT_SELECT, AlertRepository, toAlertView, type AlertRecord } from '../alerts/alert.repository.js';
import type { Principal } from '../auth/principal.js';
import { PG_POOL } from '../database/database-pool.js';
import { TransactionRunner, type Queryable } from '../database/transaction.js';
import { alertEventMessage, type AlertEventMessage } from '../events/event-hubs.js';
import type { AlertEventKind, ConsoleAlert, SyncResult } from './console-events.js';

/** At most this many events per alerts.sync answer; the console pages with `hasMore`. */
export const SYNC_PAGE_SIZE = 1000;

type EventRow = AlertRecord & {
  eventId: string | null;
  eventKind: AlertEventKind | null;
};

export interface UserScope {
  role: Role;
  active: boolean;
  careTeamIds: string[];
}

/** Orders decimal bigint ids without losing precision. */
export const compareIds = (x: string, y: string): number => (x.length - y.length) || (x < y ? -1 : x > y ? 1 : 0);

const toConsoleAlert = (row: EventRow): ConsoleAlert => ({
  ...toAlertView(row),
  eventId: row.eventId ?? '0',
  eventKind: row.eventKind ?? 'raised',
});

/**
 * Reads for the console: what a user may see of the alert event log, from the database (never
 * from memory), so that a console that was away gets every event it missed.
 */
@Injectable()
export class ConsoleRepository {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly transactions: TransactionRunner,
    private readonly alerts: AlertRepository,
  ) {}

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
    return this.transactions.run(
      async ({ sql }) => {
        const alerts: ConsoleAlert[] = [];
        if (afterId !== undefined) {
          const events = await this.eventsAfter(sql, teams, afterId, pageSize + 1);
          if (events.length > pageSize) {
            const page = events.slice(0, pageSize);
            return { alerts: page.map(toConsoleAlert), lastEventId: page[page.length - 1]!.eventId, hasMore: true };
          }
          alerts.push(...events.map(toConsoleAlert));
        }
        // Active alerts not already present with that same event; then everything in event order.
        const seen = new Set(alerts.map((a) => `${a.id}:${a.eventId}`));
        alerts.push(...(await this.activeAlerts(sql, teams)).map(toConsoleAlert).filter((a) => !seen.has(`${a.id}:${a.eventId}`)));
        alerts.sort((x, y) => compareIds(x.eventId, y.eventId));
        const { rows } = await sql.query<{ max: string | null }>(`SELECT max(id)::text AS max FROM alert_events WHERE care_team_id = ANY($1::uuid[])`, [teams]);
        return { alerts, lastEventId: rows[0]?.max ?? afterId ?? null, hasMore: false };
      },
      { isolation: 'REPEATABLE READ', readOnly: true },
    );
  }

  /** One event as the hub would have published it (for relayed references too large for NOTIFY). */
  async eventMessage(eventId: string): Promise<AlertEventMessage | undefined> {
    const { rows } = await this.pool.query<EventRow & { eventTeam: string }>(
      `SELECT x.*, e.id::text AS "eventId", e.kind AS "eventKind", e.care_team_id::text AS "eventTeam"
         FROM alert_events e JOIN LATERAL (${ALERT_SELECT} WHERE a.id = e.alert_id) x ON true
        WHERE e.id = $1`,
      [eventId],
    );
    const row = rows[0];
    if (!row) return undefined;
    return alertEventMessage({
      eventId,
      kind: row.eventKind ?? 'raised',
      careTeamId: row.eventTeam,
      physicianIds: row.escalated ? await this.alerts.physiciansOfTeam(row.careTeamId) : [],
      alert: toAlertView(row),
    });
  }

  private async eventsAfter(db: Queryable, teams: string[], afterId: string, limit: number): Promise<EventRow[]> {
    const { rows } = await db.query<EventRow>(
      `SELECT x.*, e.id::text AS "eventId", e.kind AS "eventKind"
         FROM alert_events e JOIN LATERAL (${ALERT_SELECT} WHERE a.id = e.alert_id) x ON true
        WHERE e.id > $1::bigint AND e.care_team_id = ANY($2::uuid[]) AND x."careTeamId" = ANY($2::uuid[])
        ORDER BY e.id LIMIT $3`,
      [afterId, teams, limit],
    );
    return rows;
  }

  private async activeAlerts(db: Queryable, teams: string[]): Promise<EventRow[]> {
    // LEFT JOIN: an active alert is shown even if (against every writer's contract) it has no event.
    const { rows } = await db.query<EventRow>(
      `SELECT x.*, le.id::text AS "eventId", le.kind AS "eventKind"
         FROM (${ALERT_SELECT} WHERE a.status IN ('open', 'acknowledged') AND p.care_team_id = ANY($1::uuid[])) x
         LEFT JOIN LATERAL (SELECT e.id, e.kind FROM alert_events e WHERE e.alert_id = x.id::bigint ORDER BY e.id DESC LIMIT 1) le ON true
        ORDER BY le.id NULLS FIRST`,
      [teams],
    );
    return rows;
  }
}
