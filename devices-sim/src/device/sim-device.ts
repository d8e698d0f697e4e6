import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { readingsTopic, statusTopic, type ReadingsPayload, type StatusPayload } from '#protocol';

/** One publish and its PUBACK, for progress lines, summaries and the benchmark. */
export interface PublishRecord {
  deviceId: string;
  topic: string;
  seq: number | undefined;
  bytes: number;
  samples: number;
  /** Wall clock (epoch ms) when the message was handed to the MQTT client. */
  publishedAt: number;
  /** Wall clock when the PUBACK arrived (undefined if it failed). */
  ackedAt: number | undefined;
  /** PUBACK latency, measured with the monotonic clock. */
  latencyMs: number | undefined;
  error?: string;
}

export interface SimDeviceOptions {
  mqttUrl: string;
  deviceId: string;
  /** The secret issued by POST /api/devices (omit only against an open broker). */
  secret?: string;
  status?: { battery: number; firmware: string };
  keepaliveSec?: number;
  reconnectPeriodMs?: number;
  connectTimeoutMs?: number;
  onRecord?: (record: PublishRecord) => void;
  log?: (message: string) => void;
}

const OFFLINE: StatusPayload = { online: false };

/**
 * A device on MQTT as CONTRACT.md §1 wants it: clientId = username = deviceId, password = its
 * secret, MQTT 3.1.1 (the embedded broker speaks no v5), persistent session (clean: false),
 * Last Will = retained `{"online":false}` on its status topic, retained online status on every
 * (re)connect, readings at QoS 1. mqtt.js keeps each unacknowledged QoS 1 publish in its
 * outgoing store and sends it again after an automatic reconnect (see sim-device integration test).
 */
export class SimDevice {
  private client: MqttClient | undefined;
  private readonly pending = new Set<Promise<PublishRecord>>();
  private connects = 0;

  constructor(private readonly o: SimDeviceOptions) {}

  get deviceId(): string {
    return this.o.deviceId;
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** Unacknowledged publishes. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Number of successful connections so far (reconnects included). */
  get connectionCount(): number {
    return this.connects;
  }

  /** Connects (the first CONNACK); rejects if the broker refuses (bad credentials) or cannot be reached. */
  async connect(): Promise<void> {
    if (this.client && !this.client.disconnected) return;
    const client = mqtt.connect(this.o.mqttUrl, this.clientOptions());
    this.client = client;
    client.on('connect', () => {
      this.connects++;
      // retained, so a new subscriber (the backend after a restart) learns the state at once
      client.publish(statusTopic(this.o.deviceId), JSON.stringify(this.onlineStatus()), { qos: 1, retain: true }, () => undefined);
    });
    client.on('error', (err) => this.o.log?.(`${this.o.deviceId}: ${err.message}`));
    await new Promise<void>((resolve, reject) => {
      const onConnect = () => {
        client.off('error', onError);
        resolve();
      };
      const onError = (err: Error) => {
        if (client.connected) return;
        client.off('connect', onConnect);
        client.end(true);
        reject(new Error(`${this.o.deviceId}: cannot connect: ${err.message}`));
      };
      client.once('connect', onConnect);
      client.once('error', onError);
    });
  }

  /**
   * Publishes a readings message (or any bytes, to any topic: bad-input mode) at QoS 1 and
   * resolves with its record when the broker acknowledges it.
   */
  publish(payload: ReadingsPayload | string | Buffer, opts: { topic?: string; samples?: number; retain?: boolean } = {}): Promise<PublishRecord> {
    const client = this.requireClient();
    const topic = opts.topic ?? readingsTopic(this.o.deviceId);
    const body = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload);
    const record: PublishRecord = {
      deviceId: this.o.deviceId,
      topic,
      seq: typeof payload === 'object' && !Buffer.isBuffer(payload) ? payload.seq : undefined,
      bytes: Buffer.byteLength(body),
      samples: opts.samples ?? (typeof payload === 'object' && !Buffer.isBuffer(payload) ? (payload.samples?.length ?? 0) : 0),
      publishedAt: Date.now(),
      ackedAt: undefined,
      latencyMs: undefined,
    };
    const t0 = performance.now();
    const p = new Promise<PublishRecord>((resolve) => {
      client.publish(topic, body, { qos: 1, retain: opts.retain ?? false }, (err) => {
        if (err) record.error = err.message;
        else {
          record.latencyMs = performance.now() - t0;
          record.ackedAt = Date.now();
        }
        this.o.onRecord?.(record);
        resolve(record);
      });
    });
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
    return p;
  }

  /** Waits until fewer than `max` publishes are unacknowledged (flow control). */
  async waitBelow(max: number): Promise<void> {
    while (this.pending.size >= max) await Promise.race(this.pending);
  }

  /** Waits for every outstanding PUBACK (each publish re-sent by mqtt.js across reconnects). */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.race(this.pending);
  }

  /**
   * Drops off the network without a DISCONNECT (battery pulled, out of range): the broker
   * publishes the Last Will. Outstanding publishes are acknowledged first, so nothing is lost.
   */
  async dropOffline(): Promise<void> {
    await this.drain();
    const client = this.client;
    this.client = undefined;
    if (client) await client.endAsync(true);
  }

  /** Comes back after dropOffline (same clientId, persistent session). */
  async reconnect(): Promise<void> {
    await this.connect();
  }

  /**
   * A clean goodbye: outstanding PUBACKs (up to drainTimeoutMs), retained offline status, then
   * DISCONNECT (so no Last Will). Without a connection it just stops.
   */
  async close(drainTimeoutMs = 10_000): Promise<void> {
    const client = this.client;
    if (!client) return;
    if (client.connected) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.drain(), new Promise<void>((r) => (timer = setTimeout(r, drainTimeoutMs)))]);
      clearTimeout(timer);
      await client.publishAsync(statusTopic(this.o.deviceId), JSON.stringify(OFFLINE), { qos: 1, retain: true }).catch(() => undefined);
      await client.endAsync();
    } else {
      await client.endAsync(true);
    }
    this.client = undefined;
  }

  /** For tests: the underlying client (e.g. to cut its socket). */
  get mqttClient(): MqttClient | undefined {
    return this.client;
  }

  private onlineStatus(): StatusPayload {
    return { online: true, battery: this.o.status?.battery ?? 100, firmware: this.o.status?.firmware ?? '1.0.0' };
  }

  private clientOptions(): IClientOptions {
    return {
      clientId: this.o.deviceId,
      username: this.o.deviceId,
      password: this.o.secret,
      protocolVersion: 4,
      clean: false,
      keepalive: this.o.keepaliveSec ?? 30,
      reconnectPeriod: this.o.reconnectPeriodMs ?? 1000,
      connectTimeout: this.o.connectTimeoutMs ?? 10_000,
      // mqtt.js logs through 'debug' on every packet: measurable at load-test rates
      log: () => undefined,
      will: { topic: statusTopic(this.o.deviceId), payload: Buffer.from(JSON.stringify(OFFLINE)), qos: 1, retain: true },
    };
  }

  private requireClient(): MqttClient {
    if (!this.client) throw new Error(`${this.o.deviceId}: not connected`);
    return this.client;
  }
}
