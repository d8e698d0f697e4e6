import { Inject, Injectable, Logger } from '@nestjs/common';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { READINGS_FILTER, STATUS_FILTER } from '#protocol';
import { backoff } from '../common/backoff.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { ingestClientId } from '../config/ingest-client-id.js';
import { isForeignShard } from './device-shard.js';
import { InflightBudget } from './inflight-budget.js';
import { InflightMessage, type AckTarget } from './inflight-message.js';
import { IngestMetrics } from './ingest.metrics.js';
import { MessageRouter } from './message-router.js';

/** What the in-flight budget holds back: a connection, told when its held callback is released. */
export interface BudgetSource {
  resumed(): void;
}

/**
 * MQTT 5 receive maximum per connection (unacknowledged messages the broker may send us). A hint:
 * Mosquitto 2.0.11 honours it only until the first acknowledgements (measured), so the in-flight
 * byte budget below is what actually bounds memory.
 */
const RECEIVE_MAXIMUM = 2000;
const RECONNECT_INITIAL_MS = 500;
/**
 * Kept short on purpose: Mosquitto 2.0 does not restore `$share/` subscriptions from its
 * persistence file, so what devices publish after a broker restart and before these connections
 * subscribe again reaches nobody (docs/security.md, "Known limit: broker restart"). A few
 * connections retrying every 2 s cost the broker nothing.
 */
const RECONNECT_MAX_MS = 2_000;

/**
 * Passed to mqtt.js's handleMessage callback for a QoS 1 message: mqtt.js then sends no PUBACK
 * and goes on with the next packet. Ours is sent after the commit (IngestConnection.settle).
 */
const ACK_LATER = new Error('acknowledged after commit');
const NO_PAYLOAD = Buffer.alloc(0);

/**
 * The ingest side of the broker: K connections in one `$share/<group>/` subscription (or one
 * plain subscription where the broker has no shared subscriptions), persistent sessions with
 * fixed client ids, QoS 1, and a PUBACK for each message only once its data is committed.
 *
 * mqtt.js's own flow acknowledges a message when handleMessage's callback is called, and reads
 * the next packet only then: one message at a time per connection, which caps throughput at
 * K messages per commit. Here the callback is called at once with ACK_LATER (no PUBACK, next
 * packet), so messages of many devices share one batch; the PUBACK is written after the commit,
 * in receive order per connection, and only on the connection the message came from.
 *
 * Step 1 of ingestion (docs/ingestion.md): each received message goes to the MessageRouter.
 *
 * Back-pressure (InflightBudget, shared with the RulesHandover that frees it): past
 * `maxInflightBytes` of unfinished payload, the callback is held, so mqtt.js stops reading that
 * socket and the broker keeps the rest until the budget frees.
 */
@Injectable()
export class MqttConsumer {
  private readonly logger = new Logger('MqttConsumer');
  private readonly connections: IngestConnection[] = [];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: IngestMetrics,
    @Inject(InflightBudget) private readonly budget: InflightBudget<BudgetSource>,
    /** Receives every message; must not throw (ingestion records bad input, it never fails on it). */
    private readonly router: MessageRouter,
  ) {}

  start(): void {
    const { sharedSubscriptions } = this.config.mqtt;
    const count = sharedSubscriptions ? this.config.ingest.connections : 1;
    const group = this.config.ingest.shareGroup;
    const filters = [READINGS_FILTER, STATUS_FILTER].map((f) => (sharedSubscriptions ? `$share/${group}/${f}` : f));
    for (let i = 0; i < count; i++) {
      const clientId = ingestClientId(this.config, i);
      this.connections.push(new IngestConnection(this, this.config.mqtt.url!, clientId, filters, this.clientOptions()));
    }
    const shard = this.config.ingest.shard;
    this.logger.log(
      `consuming ${filters.join(', ')} on ${count} connection(s), MQTT ${this.config.mqtt.protocolVersion === 5 ? '5' : '3.1.1'}` +
        (shard ? `, storing shard ${shard.index} of ${shard.count}` : ''),
    );
  }

  /** Stops taking messages (shutdown): held and new messages stay with the broker. */
  pause(): void {
    this.budget.pause();
  }

  async stop(): Promise<void> {
    this.budget.pause();
    await Promise.all(this.connections.map((c) => c.end()));
  }

  get connectedCount(): number {
    return this.connections.filter((c) => c.client.connected).length;
  }

  /** @internal one received message, from an IngestConnection */
  receive(connection: IngestConnection, packet: IPublishPacket, next: (err?: Error) => void): void {
    const shard = this.config.ingest.shard;
    if (shard && isForeignShard(packet.topic, shard)) return this.skipForeign(connection, packet, next);
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const weight = payload.length + 64;
    let ackTarget: AckTarget | null = null;
    let done: () => void;
    if (packet.qos === 1) {
      ackTarget = connection;
      done = () => next(ACK_LATER);
    } else if (packet.qos === 2) {
      // Not expected (subscriptions are QoS 1): mqtt.js completes QoS 2 itself, after our commit.
      ackTarget = { settle: () => next() };
      done = () => undefined;
    } else {
      done = () => next();
    }
    const message = new InflightMessage(
      ackTarget,
      connection.generation,
      packet.messageId ?? 0,
      packet.topic,
      payload,
      Date.now(),
      performance.now(),
      weight,
    );
    if (ackTarget === connection) connection.enqueue(message);
    this.budget.add(weight);
    try {
      this.router.accept(message);
    } catch (err) {
      // A bug, not bad input (bad input is recorded): keep the message unacknowledged for redelivery.
      this.logger.error(`message handling failed on ${packet.topic.slice(0, 128)}: ${(err as Error).message}`);
    }
    this.budget.admit(connection, done);
  }

  /**
   * Another shard's message (shards mode): acknowledged without being stored or routed; its owner
   * has the same message in its own session. Its PUBACK still waits its turn in the connection's
   * receive order (behind our own messages not yet committed). It carries no payload and no
   * budget weight, but takes the budget's gate like any message, so a held connection stays held.
   */
  private skipForeign(connection: IngestConnection, packet: IPublishPacket, next: (err?: Error) => void): void {
    this.metrics.foreignShard.inc();
    if (packet.qos !== 1) return this.budget.admit(connection, () => next());
    const message = new InflightMessage(connection, connection.generation, packet.messageId ?? 0, packet.topic, NO_PAYLOAD, 0, performance.now(), 0);
    message.foreign = true;
    connection.enqueue(message);
    connection.settle(message);
    this.budget.admit(connection, () => next(ACK_LATER));
  }

  private clientOptions(): IClientOptions {
    const v5 = this.config.mqtt.protocolVersion === 5;
    return {
      username: this.config.mqtt.username,
      password: this.config.mqtt.password,
      protocolVersion: v5 ? 5 : 4,
      clean: false,
      properties: v5 ? { sessionExpiryInterval: this.config.ingest.sessionExpirySeconds, receiveMaximum: RECEIVE_MAXIMUM } : undefined,
      keepalive: 30,
      connectTimeout: 10_000,
      reconnectPeriod: RECONNECT_INITIAL_MS,
      // mqtt.js stops for good after a refused CONNACK otherwise: at a first start the backend's
      // own broker identity may not exist yet (the api process provisions it).
      reconnectOnConnackError: true,
      resubscribe: false,
      manualConnect: true,
    };
  }

  /** @internal */
  get log(): Logger {
    return this.logger;
  }

  /** @internal */
  get ingestMetrics(): IngestMetrics {
    return this.metrics;
  }

  /** @internal the connection is closed: its held callback goes with its parser */
  dropHeld(connection: IngestConnection): void {
    this.budget.drop(connection);
  }
}

/** One broker connection: its session and its ack queue (receive order); InflightBudget holds its callback. */
class IngestConnection implements AckTarget, BudgetSource {
  readonly client: MqttClient;
  /** Incremented when the connection is lost: acks are only sent on the generation they came from. */
  generation = 0;
  private head: InflightMessage | null = null;
  private tail: InflightMessage | null = null;
  private failures = 0;
  private ending = false;
  private up = false;

  constructor(
    private readonly consumer: MqttConsumer,
    url: string,
    private readonly clientId: string,
    private readonly filters: string[],
    options: IClientOptions,
  ) {
    this.client = mqtt.connect(url, { ...options, clientId });
    if (typeof (this.client as unknown as { _sendPacket?: unknown })._sendPacket !== 'function') {
      throw new Error('mqtt.js no longer has _sendPacket: the after-commit PUBACK needs a new way (see mqtt-consumer.ts)');
    }
    this.client.handleMessage = (packet, callback) => {
      // Packets already parsed from a connection that is gone: the broker redelivers them.
      if (!this.client.connected) return callback(packet.qos === 1 ? ACK_LATER : undefined);
      this.consumer.receive(this, packet, callback);
    };
    this.client.on('connect', (connack) => {
      this.failures = 0;
      this.client.options.reconnectPeriod = RECONNECT_INITIAL_MS;
      if (!this.up) this.consumer.ingestMetrics.connected.inc();
      this.up = true;
      this.consumer.log.log(`${clientId} connected (session ${connack.sessionPresent ? 'resumed' : 'new'})`);
      this.subscribe();
    });
    this.client.on('close', () => this.onClose());
    this.client.on('error', (err) => this.consumer.log.warn(`${clientId}: ${err.message}`));
    this.client.connect();
  }

  enqueue(message: InflightMessage): void {
    if (this.tail) this.tail.next = message;
    else this.head = message;
    this.tail = message;
  }

  /** Committed: send the PUBACKs that are now due, in receive order. */
  settle(message: InflightMessage): void {
    message.committed = true;
    if (message.orphaned || message !== this.head) return;
    const now = performance.now();
    const metrics = this.consumer.ingestMetrics;
    const connected = this.client.connected;
    let m: InflightMessage | null = this.head;
    while (m !== null && m.committed) {
      if (connected && m.generation === this.generation) {
        // The same packet mqtt.js would have written from its handleMessage callback.
        this.client['_sendPacket']({ cmd: 'puback', messageId: m.messageId, reasonCode: 0 });
        if (!m.foreign) metrics.ackSeconds.observe((now - m.receivedPerf) / 1000);
      }
      const next: InflightMessage | null = m.next;
      m.next = null;
      m = next;
    }
    this.head = m;
    if (m === null) this.tail = null;
    // mqtt.js restarts its keep-alive clock only on acknowledgements it receives, which a pure
    // subscriber never gets; while we hold the parser its PINGRESP waits behind the held messages.
    // Acknowledging is proof enough that the link works.
    if (connected) this.client.reschedulePing(true);
  }

  /** Its held callback is about to be released (InflightBudget). */
  resumed(): void {
    // The held time was ours, not the broker's: count the keep-alive from now.
    if (this.client.connected) this.client.reschedulePing(true);
  }

  async end(): Promise<void> {
    this.ending = true;
    // A clean DISCONNECT: with MQTT 5 the session (and every unacknowledged message) is kept.
    // Bounded: a broker that does not answer must not hold the shutdown.
    const clean = this.client.endAsync(false).then(() => true, () => true);
    const late = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 3000).unref());
    if (!(await Promise.race([clean, late]))) await this.client.endAsync(true).catch(() => undefined);
  }

  private subscribe(): void {
    const map = Object.fromEntries(this.filters.map((f) => [f, { qos: 1 as const }]));
    this.client.subscribe(map, (err, granted) => {
      const refused = granted?.filter((g) => g.qos === 128) ?? [];
      if (!err && refused.length === 0) return;
      this.consumer.log.error(`${this.clientId}: subscription refused (${err?.message ?? refused.map((g) => g.topic).join(', ')}), retrying`);
      setTimeout(() => this.client.connected && this.subscribe(), 5000).unref();
    });
  }

  private onClose(): void {
    this.generation++;
    if (this.up) this.consumer.ingestMetrics.connected.dec();
    this.up = false;
    // Whatever is not yet acknowledged will be redelivered on the next connection: no PUBACK for it.
    let m = this.head;
    while (m !== null) {
      m.orphaned = true;
      const next: InflightMessage | null = m.next;
      m.next = null;
      m = next;
    }
    this.head = this.tail = null;
    // That socket is gone; its parser is abandoned with it.
    this.consumer.dropHeld(this);
    if (this.ending) return;
    this.failures++;
    this.client.options.reconnectPeriod = backoff(this.failures, RECONNECT_INITIAL_MS, RECONNECT_MAX_MS);
  }
}
