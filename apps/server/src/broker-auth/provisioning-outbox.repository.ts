import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { PG_POOL } from '../database/database.module.js';
import { TransactionRunner } from '../database/transaction.js';

export type ProvisioningAction = 'provision' | 'revoke' | 'restore';

export interface OutboxRow {
  id: string;
  deviceId: string;
  action: ProvisioningAction;
  secretBox: string | null;
  attempts: number;
}

/** What happened to a row once its change was tried. */
export type RowResult =
  | { kind: 'applied' }
  | { kind: 'retry'; error: string; delayMs: number; brokerUnavailable: boolean }
  | { kind: 'failed'; error: string };

const ROW = `id::text AS id, device_id AS "deviceId", action, secret_box AS "secretBox", attempts`;

/**
 * The broker_provisioning_outbox table. A row is worked on inside a transaction that holds its
 * lock (FOR UPDATE SKIP LOCKED), and only when no older pending row of the same device exists,
 * so several processes never apply one device's changes out of order or twice at once.
 */
@Injectable()
export class ProvisioningOutboxRepository {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly transactions: TransactionRunner,
  ) {}

  async enqueue(deviceId: string, action: ProvisioningAction, secretBox: string | null): Promise<string> {
    const { rows } = await this.pool.query<{ id: string }>(
      `INSERT INTO broker_provisioning_outbox (device_id, action, secret_box) VALUES ($1, $2, $3) RETURNING id::text AS id`,
      [deviceId, action, secretBox],
    );
    return rows[0]!.id;
  }

  /**
   * Locks one row and runs `work` on it: the row with `id` if given (and due or not), else the
   * oldest due pending row. Returns what `work` decided, or undefined when there was nothing to do
   * (absent, locked elsewhere, or waiting behind an older pending row of its device).
   */
  async withNext(id: string | undefined, work: (row: OutboxRow) => Promise<RowResult>): Promise<RowResult | undefined> {
    return this.transactions.run(async ({ sql: client }) => {
      const row = await this.lockNext(client, id);
      if (!row) return undefined;
      const result = await work(row);
      if (result.kind === 'applied') {
        await client.query(`DELETE FROM broker_provisioning_outbox WHERE id = $1`, [row.id]);
      } else if (result.kind === 'retry') {
        await client.query(
          `UPDATE broker_provisioning_outbox
              SET attempts = attempts + 1, last_error = $2, next_attempt_at = now() + make_interval(secs => $3::double precision / 1000)
            WHERE id = $1`,
          [row.id, result.error.slice(0, 500), result.delayMs],
        );
      } else {
        await client.query(
          `UPDATE broker_provisioning_outbox SET attempts = attempts + 1, last_error = $2, state = 'failed', secret_box = NULL WHERE id = $1`,
          [row.id, result.error.slice(0, 500)],
        );
      }
      return result;
    });
  }

  async counts(): Promise<{ pending: number; failed: number }> {
    const { rows } = await this.pool.query<{ pending: number; failed: number }>(
      `SELECT count(*) FILTER (WHERE state = 'pending')::int AS pending, count(*) FILTER (WHERE state = 'failed')::int AS failed
         FROM broker_provisioning_outbox`,
    );
    return rows[0] ?? { pending: 0, failed: 0 };
  }

  /** Pending and failed rows of one device (tests, diagnostics). */
  async forDevice(deviceId: string): Promise<Array<OutboxRow & { state: string; lastError: string | null }>> {
    const { rows } = await this.pool.query(
      `SELECT ${ROW}, state, last_error AS "lastError" FROM broker_provisioning_outbox WHERE device_id = $1 ORDER BY id`,
      [deviceId],
    );
    return rows as Array<OutboxRow & { state: string; lastError: string | null }>;
  }

  private async lockNext(client: PoolClient, id: string | undefined): Promise<OutboxRow | undefined> {
    const notBehind = `NOT EXISTS (SELECT 1 FROM broker_provisioning_outbox older
                                    WHERE older.device_id = o.device_id AND older.id < o.id AND older.state = 'pending')`;
    const { rows } = id
      ? await client.query<OutboxRow>(
          `SELECT ${ROW} FROM broker_provisioning_outbox o
            WHERE id = $1 AND state = 'pending' AND ${notBehind}
            FOR UPDATE SKIP LOCKED`,
          [id],
        )
      : await client.query<OutboxRow>(
          `SELECT ${ROW} FROM broker_provisioning_outbox o
            WHERE state = 'pending' AND next_attempt_at <= now() AND ${notBehind}
            ORDER BY id LIMIT 1
            FOR UPDATE SKIP LOCKED`,
        );
    return rows[0];
  }
}
