import { Inject, Injectable, Logger, Module, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '../database/database.module.js';
import { AlertEventsHub } from '../events/event-hubs.js';
import { ALERT_RELAY_CHANNEL, encodeRelayPayload } from './alert-relay.codec.js';

/**
 * In a process that raises alerts but runs no console gateway (ROLES=ingest and/or scheduler),
 * forwards each committed alert event to the gateways with PostgreSQL NOTIFY: every gateway
 * process LISTENs and emits it to its own consoles (docs/architecture-console.md). A lost
 * notification costs only latency: consoles get the event from the database with alerts.sync.
 */
@Injectable()
export class AlertRelayPublisher implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('AlertRelay');
  private unsubscribe?: () => void;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly hub: AlertEventsHub,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.hub.subscribe(async (message) => {
      try {
        await this.pool.query('SELECT pg_notify($1, $2)', [ALERT_RELAY_CHANNEL, encodeRelayPayload(message)]);
      } catch (err) {
        this.logger.warn({ err, eventId: message.eventId, alertId: message.alert.id }, 'alert event not relayed (consoles will get it on sync)');
      }
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }
}

/** Loaded by AppModule in processes without the 'api' role (see app.module.ts). */
@Module({ providers: [AlertRelayPublisher] })
export class AlertRelayModule {}
