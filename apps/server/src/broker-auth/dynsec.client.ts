import mqtt, { type MqttClient } from 'mqtt';
import { randomUUID } from 'node:crypto';
import { DYNSEC_RESPONSE_TOPIC, DYNSEC_TOPIC, type DynsecCommand, type DynsecResponse } from './dynsec-commands.js';

/** The broker could not be reached or did not answer in time: worth retrying later. */
export class BrokerUnavailableError extends Error {
  override readonly name = 'BrokerUnavailableError';
}

interface Pending {
  resolve: (responses: DynsecResponse[]) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * The backend's provisioning identity on Mosquitto (MQTT_ADMIN_USERNAME): sends dynamic security
 * command batches and waits for their responses, matched by correlationData (several backend
 * processes may share the response topic). Reconnects on its own; a command sent while the broker
 * is unreachable fails after `timeoutMs` with BrokerUnavailableError.
 */
export class DynsecClient {
  private readonly client: MqttClient;
  private readonly pending = new Map<string, Pending>();
  private subscribed: Promise<void> | undefined;
  private lastError: string | undefined;

  constructor(
    url: string,
    credentials: { username: string; password: string },
    private readonly timeoutMs = 5000,
  ) {
    this.client = mqtt.connect(url, {
      clientId: `tm-provisioner-${process.pid}-${randomUUID().slice(0, 8)}`,
      username: credentials.username,
      password: credentials.password,
      clean: true,
      reconnectPeriod: 2000,
      connectTimeout: Math.min(timeoutMs, 5000),
    });
    this.client.on('error', (err) => (this.lastError = err.message));
    this.client.on('connect', () => {
      this.lastError = undefined;
      this.subscribed = this.client.subscribeAsync(DYNSEC_RESPONSE_TOPIC, { qos: 1 }).then(
        (granted) => {
          if (granted.some((g) => g.qos === 128)) throw new Error('not allowed to read dynamic security responses');
        },
      );
      this.subscribed.catch((err: Error) => (this.lastError = err.message));
    });
    this.client.on('message', (topic, payload) => {
      if (topic === DYNSEC_RESPONSE_TOPIC) this.onResponse(payload);
    });
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /** Sends one batch; resolves with one response per command, in order. */
  async send(commands: DynsecCommand[]): Promise<DynsecResponse[]> {
    const id = randomUUID();
    const deadline = Date.now() + this.timeoutMs;
    await this.waitConnected(deadline);
    const tagged = commands.map((c) => ({ ...c, correlationData: id }));
    const answer = new Promise<DynsecResponse[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new BrokerUnavailableError(`no dynamic security response within ${this.timeoutMs} ms`));
      }, Math.max(1, deadline - Date.now()));
      this.pending.set(id, { resolve, reject, timer });
    });
    try {
      await this.client.publishAsync(DYNSEC_TOPIC, JSON.stringify({ commands: tagged }), { qos: 1 });
    } catch (err) {
      this.settle(id, undefined, new BrokerUnavailableError(`publishing to the broker failed: ${(err as Error).message}`));
    }
    return answer;
  }

  async close(): Promise<void> {
    for (const [id] of this.pending) this.settle(id, undefined, new BrokerUnavailableError('provisioning client closed'));
    await this.client.endAsync(true).catch(() => undefined);
  }

  private async waitConnected(deadline: number): Promise<void> {
    while (!this.client.connected || !this.subscribed) {
      if (Date.now() >= deadline) {
        throw new BrokerUnavailableError(`broker unreachable${this.lastError ? `: ${this.lastError}` : ''}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const left = deadline - Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.subscribed,
        new Promise((_, reject) => (timer = setTimeout(() => reject(new BrokerUnavailableError('subscription to responses timed out')), Math.max(1, left)))),
      ]);
    } catch (err) {
      throw err instanceof BrokerUnavailableError ? err : new BrokerUnavailableError((err as Error).message);
    } finally {
      clearTimeout(timer);
    }
  }

  private onResponse(payload: Buffer): void {
    let body: { responses?: DynsecResponse[] };
    try {
      body = JSON.parse(payload.toString('utf8')) as { responses?: DynsecResponse[] };
    } catch {
      return;
    }
    const responses = Array.isArray(body.responses) ? body.responses : [];
    const id = responses.find((r) => typeof r.correlationData === 'string')?.correlationData;
    if (id) this.settle(id, responses);
  }

  private settle(id: string, responses: DynsecResponse[] | undefined, err?: Error): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (err || !responses) p.reject(err ?? new BrokerUnavailableError('no response'));
    else p.resolve(responses);
  }
}
