import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Gauge, type Registry } from 'prom-client';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { METRICS_REGISTRY } from '../metrics/metrics.module.js';
import {
  BACKEND_ROLE,
  backendRoleCommands,
  interpretResponses,
  provisionCommands,
  provisionExistingCommands,
  restoreCommands,
  revokeCommands,
  type DynsecCommand,
} from './dynsec-commands.js';
import { BrokerUnavailableError, DynsecClient } from './dynsec.client.js';
import { ProvisioningOutboxRepository, type OutboxRow, type ProvisioningAction, type RowResult } from './provisioning-outbox.repository.js';
import { SecretBox } from './secret-box.js';

/**
 * - applied: the broker confirmed the change;
 * - pending: the broker could not be reached; the change waits in the outbox and is retried in
 *   the background (in order per device) until it is applied;
 * - failed: the change cannot be applied without an operator (logged as an error, kept in the outbox);
 * - disabled: no provisioning identity is configured (MQTT_ADMIN_USERNAME), nothing was done.
 */
export type ProvisioningResult = 'applied' | 'pending' | 'failed' | 'disabled';

const RETRY_INTERVAL_MS = 5000;
const MAX_BACKOFF_MS = 5 * 60_000;

/** Retry delay after `attempts` failed attempts: 2 s, 4 s, 8 s … capped at 5 minutes. */
export function retryDelayMs(attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, 2000 * 2 ** Math.min(attempts, 20));
}

class PermanentError extends Error {}

/**
 * Keeps devices' broker credentials in step with the registry on Mosquitto's dynamic security
 * plugin: a registered device gets a client (username and client id = deviceId, password = its
 * secret) with a role that may publish only to its own readings and status topics; deactivation
 * disables the client (and disconnects it); reactivation enables it again. Every change goes
 * through the outbox first, so a broker outage never silently leaves a device with the wrong
 * access. Also makes sure the backend's ingest identity (MQTT_USERNAME) exists with only the
 * rights it needs (subscribe to the device topics).
 */
@Injectable()
export class BrokerCredentialsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('BrokerCredentials');
  private client: DynsecClient | undefined;
  private box: SecretBox | undefined;
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  private backendReady = false;
  private ticking = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly outbox: ProvisioningOutboxRepository,
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
  ) {}

  get enabled(): boolean {
    return this.client !== undefined;
  }

  onApplicationBootstrap(): void {
    const admin = this.config.mqttAdmin;
    if (!admin || !this.config.mqtt.url) {
      if (!this.config.embeddedBroker && !this.config.emqxHooks) {
        this.logger.warn(
          'MQTT_ADMIN_USERNAME / MQTT_ADMIN_PASSWORD not set: devices registered through the API get no broker credentials (docs/security.md)',
        );
      }
      return;
    }
    this.client = new DynsecClient(this.config.mqtt.url, admin);
    this.box = new SecretBox(admin.password);
    const outbox = this.outbox;
    new Gauge({
      name: 'tm_broker_provisioning_outbox',
      help: 'Device broker-credential changes not yet applied (pending: retried; failed: needs an operator)',
      labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        const c = await outbox.counts().catch(() => undefined);
        if (c) {
          this.set({ state: 'pending' }, c.pending);
          this.set({ state: 'failed' }, c.failed);
        }
      },
    });
    this.timer = setInterval(() => void this.tick(), RETRY_INTERVAL_MS);
    this.timer.unref();
    void this.tick();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.draining?.catch(() => undefined);
    await this.client?.close();
  }

  /** A newly registered device (or a new secret): create or update its client, enabled. */
  provision(deviceId: string, secret: string): Promise<ProvisioningResult> {
    return this.submit(deviceId, 'provision', secret);
  }

  /** A deactivated device: its client is disabled and disconnected. */
  revoke(deviceId: string): Promise<ProvisioningResult> {
    return this.submit(deviceId, 'revoke');
  }

  /** A reactivated device: its client is enabled again with the same secret. */
  restore(deviceId: string): Promise<ProvisioningResult> {
    return this.submit(deviceId, 'restore');
  }

  /** Applies every due pending change now (also run every few seconds in the background). */
  drain(): Promise<void> {
    this.draining ??= this.drainOnce().finally(() => (this.draining = undefined));
    return this.draining;
  }

  private async submit(deviceId: string, action: ProvisioningAction, secret?: string): Promise<ProvisioningResult> {
    if (!this.client || !this.box) return 'disabled';
    const id = await this.outbox.enqueue(deviceId, action, secret === undefined ? null : this.box.seal(secret));
    const result = await this.outbox.withNext(id, (row) => this.apply(row));
    if (!result) {
      this.logger.warn({ deviceId, action }, 'broker credential change queued behind an earlier pending change of this device');
      return 'pending';
    }
    return result.kind === 'applied' ? 'applied' : result.kind === 'retry' ? 'pending' : 'failed';
  }

  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      if (!this.backendReady) {
        this.backendReady = await this.ensureBackendIdentity().catch((err: Error) => {
          this.logger.warn(`backend broker identity not checked yet: ${err.message}`);
          return false;
        });
      }
      await this.drain();
    } finally {
      this.ticking = false;
    }
  }

  private async drainOnce(): Promise<void> {
    try {
      for (let i = 0; i < 200; i++) {
        const result = await this.outbox.withNext(undefined, (row) => this.apply(row));
        if (!result || (result.kind === 'retry' && result.brokerUnavailable)) return;
      }
    } catch (err) {
      this.logger.error({ err }, 'broker provisioning retry failed');
    }
  }

  /** Applies one outbox row on the broker and says what to do with the row. */
  private async apply(row: OutboxRow): Promise<RowResult> {
    try {
      if (row.action === 'provision') {
        const secret = row.secretBox ? this.box!.open(row.secretBox) : undefined;
        if (secret === undefined) {
          throw new PermanentError('the sealed secret cannot be opened (MQTT_ADMIN_PASSWORD changed?): issue the device a new secret');
        }
        await this.applyProvision(row.deviceId, secret);
      } else if (row.action === 'revoke') {
        await this.run(revokeCommands(row.deviceId));
      } else {
        const outcome = await this.run(restoreCommands(row.deviceId), true);
        if (outcome === 'client-missing') {
          throw new PermanentError('the broker has no client for this device: issue the device a new secret');
        }
      }
      this.logger.log({ deviceId: row.deviceId, action: row.action, attempts: row.attempts + 1 }, 'broker credentials applied');
      return { kind: 'applied' };
    } catch (err) {
      const message = (err as Error).message;
      if (err instanceof PermanentError) {
        this.logger.error({ deviceId: row.deviceId, action: row.action }, `broker credential change failed for good: ${message}`);
        return { kind: 'failed', error: message };
      }
      const delayMs = retryDelayMs(row.attempts);
      const brokerUnavailable = err instanceof BrokerUnavailableError;
      const log = brokerUnavailable ? this.logger.warn.bind(this.logger) : this.logger.error.bind(this.logger);
      log({ deviceId: row.deviceId, action: row.action, attempts: row.attempts + 1 }, `broker credential change pending, retried in ${Math.round(delayMs / 1000)} s: ${message}`);
      return { kind: 'retry', error: message, delayMs, brokerUnavailable };
    }
  }

  private async applyProvision(deviceId: string, secret: string): Promise<void> {
    const outcome = await this.run(provisionCommands(deviceId, secret), false, true);
    if (outcome === 'client-exists') await this.run(provisionExistingCommands(deviceId, secret));
  }

  /**
   * Sends a batch; resolves when it succeeded, or with the tolerated client-missing /
   * client-exists outcome when asked to; throws otherwise.
   */
  private async run(
    commands: DynsecCommand[],
    tolerateMissing = false,
    tolerateExists = false,
  ): Promise<'ok' | 'client-missing' | 'client-exists'> {
    const responses = await this.client!.send(commands);
    const outcome = interpretResponses(commands, responses);
    if (outcome.ok) return 'ok';
    if (tolerateMissing && outcome.clientMissing && outcome.errors.length === 1) return 'client-missing';
    if (tolerateExists && outcome.clientExists && outcome.errors.length === 1) return 'client-exists';
    throw new Error(`dynamic security refused: ${outcome.errors.join('; ')}`);
  }

  /**
   * The ingest identity (MQTT_USERNAME) gets the role that may only subscribe to the device
   * topics. Created with MQTT_PASSWORD if absent; an existing client keeps its password.
   */
  private async ensureBackendIdentity(): Promise<boolean> {
    await this.run(backendRoleCommands());
    const { username, password } = this.config.mqtt;
    if (!username || !password) return true;
    if (username === this.config.mqttAdmin?.username) {
      this.logger.warn('MQTT_USERNAME is the provisioning identity: ingestion runs with more broker rights than it needs');
      return true;
    }
    const create: DynsecCommand[] = [{ command: 'createClient', username, password, roles: [{ rolename: BACKEND_ROLE }] }];
    if ((await this.run(create, false, true)) === 'client-exists') {
      const [res] = await this.client!.send([{ command: 'getClient', username }]);
      const roles = (res?.data as { client?: { roles?: Array<{ rolename: string }> } } | undefined)?.client?.roles ?? [];
      if (!roles.some((r) => r.rolename === BACKEND_ROLE)) await this.run([{ command: 'addClientRole', username, rolename: BACKEND_ROLE }]);
    }
    this.logger.log(`broker identity "${username}" may subscribe to device topics only`);
    return true;
  }
}
