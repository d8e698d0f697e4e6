import mqtt, { type MqttClient } from 'mqtt';
import pg from 'pg';
import { io, type Socket } from 'socket.io-client';
import { readingsTopic } from '#protocol';

/** spo2.critical for a hypercapnic patient (libs/rules defaults): SpO2 ≤ 83 % held for 60 s of sample time. */
export const CRITICAL_SPO2 = 80;
export const CRITICAL_HOLD_MS = 60_000;
const SAMPLES_PER_MESSAGE = 20;
/** Normal messages first (the rules rebuild the device's windows on first sight), then the desaturation. */
const NORMAL_MESSAGES = 2;
const DESAT_MESSAGES = 5;

export interface DesatMessage {
  publishedAt: number;
  firstAt: number;
  lastAt: number;
  desat: boolean;
}

export interface AlertSeen {
  patientId: string;
  rule: string;
  startedAt: number;
  receivedAt: number;
}

/** How alerts are observed: the nurse's console (socket.io /console), or the alerts table when no gateway is built. */
export type AlertChannel = 'console' | 'alerts-table';

/**
 * The alert side of the load: a few oximeters desaturate while the load runs, each once, and a
 * nurse's console (socket.io /console, token of a nurse of their care team) records when
 * alert.raised arrives. Without the console gateway in the build, a poller on the alerts table
 * stands in for it (the figure is then "to commit", not "to the console").
 */
export class AlertProbe {
  private readonly clients = new Map<string, MqttClient>();
  readonly published = new Map<string, DesatMessage[]>();
  readonly seen: AlertSeen[] = [];
  private socket: Socket | undefined;
  private poller: { client: pg.Client; running: boolean; loop: Promise<void> } | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private finished = 0;
  private closed = false;
  channel: AlertChannel = 'console';
  errors: string[] = [];

  constructor(
    private readonly devices: ReadonlyArray<{ deviceId: string; patientId: string }>,
    private readonly mqttUrl: string,
  ) {}

  /** Connects the console (or falls back to the table poller) and the desaturating devices. */
  async connect(apiUrl: string, nurseToken: string, databaseUrl: string, consoleExpected: boolean): Promise<void> {
    if (consoleExpected) {
      try {
        this.socket = await connectConsole(apiUrl, nurseToken);
        this.socket.on('alert.raised', (alert: { patientId: string; rule: string; startedAt: string }) => {
          this.seen.push({ patientId: alert.patientId, rule: alert.rule, startedAt: Date.parse(alert.startedAt), receivedAt: Date.now() });
        });
      } catch (err) {
        this.errors.push(`console: ${(err as Error).message}`);
        this.socket = undefined;
      }
    }
    if (!this.socket) {
      this.channel = 'alerts-table';
      await this.startTablePoller(databaseUrl);
    }
    await Promise.all(
      this.devices.map(async (d) => {
        this.clients.set(d.deviceId, await mqtt.connectAsync(this.mqttUrl, { clientId: d.deviceId, protocolVersion: 4, clean: true, reconnectPeriod: 1000 }));
      }),
    );
  }

  /**
   * Schedules one desaturation per device, spread over [fromMs, toMs] after now. Each device
   * sends NORMAL_MESSAGES then DESAT_MESSAGES messages of 20 samples (1 s apart on the device's
   * clock, starting `firstSampleAt`), one message per second.
   */
  schedule(fromMs: number, toMs: number, firstSampleAt: number): void {
    const span = Math.max(0, toMs - fromMs);
    this.devices.forEach((d, i) => {
      const offset = fromMs + (this.devices.length > 1 ? (span * i) / (this.devices.length - 1) : 0);
      this.timers.push(setTimeout(() => void this.run(d.deviceId, firstSampleAt).finally(() => this.finished++), offset));
    });
  }

  private async run(deviceId: string, firstSampleAt: number): Promise<void> {
    const client = this.clients.get(deviceId)!;
    const list: DesatMessage[] = [];
    this.published.set(deviceId, list);
    let clock = firstSampleAt;
    for (let m = 0; m < NORMAL_MESSAGES + DESAT_MESSAGES; m++) {
      const desat = m >= NORMAL_MESSAGES;
      const samples = Array.from({ length: SAMPLES_PER_MESSAGE }, (_, i) => ({
        at: clock + i * 1000,
        spo2: desat ? CRITICAL_SPO2 : 93,
        pulseRate: desat ? 104 : 78,
      }));
      const message: DesatMessage = { publishedAt: Date.now(), firstAt: clock, lastAt: clock + (SAMPLES_PER_MESSAGE - 1) * 1000, desat };
      list.push(message);
      clock += SAMPLES_PER_MESSAGE * 1000;
      try {
        await client.publishAsync(readingsTopic(deviceId), JSON.stringify({ v: 1, seq: m + 1, samples }), { qos: 1 });
      } catch (err) {
        this.errors.push(`${deviceId}: ${(err as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  /** Readings in the desaturation messages published so far (SpO2 and pulse rate per sample). */
  get readingsSent(): number {
    let n = 0;
    for (const list of this.published.values()) n += list.length * SAMPLES_PER_MESSAGE * 2;
    return n;
  }

  /** Every scheduled device has published all its messages. */
  get finishedSending(): boolean {
    return this.finished === this.timers.length;
  }

  /**
   * Waits until every scheduled device has published everything, then (bounded by
   * `alertTimeoutMs`) until each one's alert was seen.
   */
  async settle(alertTimeoutMs: number): Promise<void> {
    while (!this.finishedSending && !this.closed) await new Promise((r) => setTimeout(r, 100));
    const until = Date.now() + alertTimeoutMs;
    while (Date.now() < until && !this.closed) {
      if (new Set(this.seen.map((s) => s.patientId)).size >= this.timers.length) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.socket?.close();
    if (this.poller) {
      this.poller.running = false;
      await this.poller.loop;
      await this.poller.client.end();
    }
    await Promise.all([...this.clients.values()].map((c) => c.endAsync().catch(() => undefined)));
  }

  private async startTablePoller(databaseUrl: string): Promise<void> {
    const client = new pg.Client({ connectionString: databaseUrl, application_name: 'bench-alert-poller' });
    await client.connect();
    const patientIds = this.devices.map((d) => d.patientId);
    const known = new Set<string>();
    const poller = { client, running: true, loop: Promise.resolve() };
    poller.loop = (async () => {
      while (poller.running) {
        try {
          const { rows } = await client.query<{ id: string; patient_id: string; rule: string; started_at: Date }>(
            `SELECT id::text, patient_id, rule, started_at FROM alerts WHERE patient_id = ANY($1::uuid[])`,
            [patientIds],
          );
          const now = Date.now();
          for (const r of rows) {
            if (known.has(r.id)) continue;
            known.add(r.id);
            this.seen.push({ patientId: r.patient_id, rule: r.rule, startedAt: r.started_at.getTime(), receivedAt: now });
          }
        } catch {
          /* next poll */
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    this.poller = poller;
  }
}

/**
 * Alert latency per desaturating device: from the publish of the message holding the sample that
 * completes the rule (the first sample at least CRITICAL_HOLD_MS after the alert's startedAt) to
 * the moment alert.raised was seen. Also counts how often each patient's alert was seen.
 */
export function alertLatencies(
  devices: ReadonlyArray<{ deviceId: string; patientId: string }>,
  published: ReadonlyMap<string, readonly DesatMessage[]>,
  seen: readonly AlertSeen[],
): { latencies: number[]; missing: string[]; duplicates: number; unexpected: number } {
  const latencies: number[] = [];
  const missing: string[] = [];
  let duplicates = 0;
  const patients = new Map(devices.map((d) => [d.patientId, d.deviceId]));
  const unexpected = seen.filter((s) => !patients.has(s.patientId) || s.rule !== 'spo2.critical').length;
  for (const d of devices) {
    const raised = seen.filter((s) => s.patientId === d.patientId && s.rule === 'spo2.critical');
    const messages = published.get(d.deviceId) ?? [];
    if (raised.length === 0 || messages.length === 0) {
      missing.push(d.deviceId);
      continue;
    }
    duplicates += raised.length - 1;
    const first = raised[0]!;
    const completing = messages.find((m) => m.lastAt >= first.startedAt + CRITICAL_HOLD_MS);
    if (!completing) {
      missing.push(d.deviceId);
      continue;
    }
    latencies.push(first.receivedAt - completing.publishedAt);
  }
  return { latencies, missing, duplicates, unexpected };
}

function connectConsole(baseUrl: string, token: string): Promise<Socket> {
  const socket = io(`${baseUrl}/console`, { auth: { token }, transports: ['websocket'], reconnection: true, forceNew: true, timeout: 10_000 });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}
