import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { ALERT_RELAY_CHANNEL, decodeRelayPayload, type RelayPayload } from './alert-relay.codec.js';

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 15000;

/**
 * The gateway side of the relay: one dedicated connection LISTENing on the relay channel,
 * reconnecting with back-off. `onRestored` runs after a lost connection is back, because
 * notifications sent meanwhile are gone: the gateway then asks its consoles to re-sync.
 */
@Injectable()
export class AlertRelayListener implements OnApplicationShutdown {
  private readonly logger = new Logger('AlertRelayListener');
  private client?: pg.Client;
  private stopped = false;
  private retryMs = RETRY_MIN_MS;
  private timer?: NodeJS.Timeout;
  private everConnected = false;
  private handlers?: { onPayload: (p: RelayPayload) => void; onRestored: () => void };

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Connects and LISTENs; resolves once listening (or after the first failure, retrying in background). */
  async start(handlers: { onPayload: (p: RelayPayload) => void; onRestored: () => void }): Promise<void> {
    this.handlers = handlers;
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.config.database.url, application_name: 'telemonitoring-console-relay' });
    client.on('notification', (n) => {
      if (n.channel !== ALERT_RELAY_CHANNEL) return;
      const payload = decodeRelayPayload(n.payload);
      if (payload) this.handlers?.onPayload(payload);
      else this.logger.warn('ignored a malformed relay notification');
    });
    client.on('error', (err) => {
      this.logger.warn({ err }, 'relay connection lost');
      this.retry(client);
    });
    client.on('end', () => this.retry(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${ALERT_RELAY_CHANNEL}`);
    } catch (err) {
      this.logger.warn({ err }, 'relay connection failed');
      this.retry(client);
      return;
    }
    this.client = client;
    this.retryMs = RETRY_MIN_MS;
    if (this.everConnected) {
      this.logger.log('relay connection restored');
      this.handlers?.onRestored();
    }
    this.everConnected = true;
  }

  private retry(client: pg.Client): void {
    if (this.stopped || this.timer || (this.client && this.client !== client)) return;
    this.client = undefined;
    client.removeAllListeners('end');
    void client.end().catch(() => undefined);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.connect();
    }, this.retryMs);
    this.timer.unref();
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    if (client) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
    }
  }
}
