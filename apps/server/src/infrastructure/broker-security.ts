import mqtt from 'mqtt';
import { randomUUID } from 'node:crypto';
import { TOPIC_ROOT } from '#protocol';
import { ConfigError, type AppConfig } from '../config/app-config.js';

/**
 * The start-up check of the broker's security (issue 21 §1, CONTRACT.md §5, docs/security.md).
 * A broker that lets an anonymous client in lets anyone publish readings as any device, spoof
 * retained status, read every device's topic and take over the backend's ingest sessions; a
 * backend without the provisioning identity gives registered devices no broker credentials.
 * In production either refuses the start unless MQTT_INSECURE=true; then, and outside
 * production, the product runs with a warning at start, every hour, and on /health.
 */

/** What an anonymous client (no username, no password) got from the broker. */
export type AnonymousProbe =
  /** CONNACK refused (bad username or password, not authorized…): what a secured broker answers. */
  | { outcome: 'refused'; code: number }
  /** Connected: `subscribeDevices` says whether SUBSCRIBE `tm/v1/devices/#` was granted (undefined: no answer). */
  | { outcome: 'accepted'; subscribeDevices: boolean | undefined }
  /** No CONNACK at all (down, wrong address, TLS failure): nothing is claimed either way. */
  | { outcome: 'unreachable'; reason: string };

export const PROBE_TIMEOUT_MS = 5000;
/** Every device's topics: what an eavesdropper subscribes to. */
export const DEVICES_FILTER = `${TOPIC_ROOT}/#`;

/** Connects to `url` with no credentials, once (no reconnect, clean session, random client id). */
export function probeAnonymousAccess(url: string, protocolVersion: 4 | 5, timeoutMs = PROBE_TIMEOUT_MS): Promise<AnonymousProbe> {
  return new Promise((resolve) => {
    const client = mqtt.connect(url, {
      clientId: `tm-security-probe-${randomUUID().slice(0, 8)}`,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: timeoutMs,
      protocolVersion,
    });
    let settled = false;
    const done = (result: AnonymousProbe) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.end(true);
      resolve(result);
    };
    const timer = setTimeout(() => done({ outcome: 'unreachable', reason: `no answer within ${timeoutMs} ms` }), timeoutMs + 1000);
    client.on('connect', () => {
      client.subscribe(DEVICES_FILTER, { qos: 0 }, (err) => {
        const code = (err as { code?: unknown } | null)?.code;
        done({ outcome: 'accepted', subscribeDevices: !err ? true : typeof code === 'number' ? false : undefined });
      });
    });
    client.on('error', (err: Error & { code?: unknown }) => {
      // A CONNACK refusal carries its numeric return / reason code; socket errors a string code.
      if (!client.connected && typeof err.code === 'number') done({ outcome: 'refused', code: err.code });
      else if (!client.connected) done({ outcome: 'unreachable', reason: err.message });
    });
    client.on('close', () => {
      if (!client.connected) done({ outcome: 'unreachable', reason: 'connection closed before CONNACK' });
    });
  });
}

export interface BrokerFacts {
  /** The embedded broker authenticates devices against the database itself. */
  embedded: boolean;
  url: string | undefined;
  /** MQTT_ADMIN_USERNAME / MQTT_ADMIN_PASSWORD are set. */
  provisioning: boolean;
  /** This process registers devices (role `api`), so it is the one that provisions them. */
  provisions: boolean;
  anonymous: AnonymousProbe | undefined;
}

/** What is insecure about the broker, one sentence each (empty: nothing found). */
export function brokerSecurityProblems(facts: BrokerFacts): string[] {
  if (facts.embedded) return [];
  const problems: string[] = [];
  if (facts.anonymous?.outcome === 'accepted') {
    const sub = facts.anonymous.subscribeDevices;
    problems.push(
      `the broker at ${redactUrl(facts.url)} accepts anonymous clients (no username or password)` +
        (sub === true ? ` and lets them subscribe to ${DEVICES_FILTER}` : sub === false ? `; its ACL refused them ${DEVICES_FILTER}` : ''),
    );
  }
  if (facts.provisions && !facts.provisioning) {
    problems.push('MQTT_ADMIN_USERNAME / MQTT_ADMIN_PASSWORD are not set: devices registered through the API get no broker credentials of their own');
  }
  return problems;
}

export type BrokerVerdict = { action: 'ok' } | { action: 'warn'; message: string } | { action: 'refuse'; message: string };

/** Production refuses what it found unless MQTT_INSECURE=true; elsewhere it only warns. */
export function brokerVerdict(problems: readonly string[], mode: { production: boolean; insecureAllowed: boolean }): BrokerVerdict {
  if (problems.length === 0) return { action: 'ok' };
  const list = problems.map((p) => `  - ${p}`).join('\n');
  if (mode.production && !mode.insecureAllowed) {
    return {
      action: 'refuse',
      message:
        `Refusing to start in production (NODE_ENV=production): the MQTT broker is not secured:\n${list}\n` +
        `Anyone who can reach the broker could then publish readings as any device, read every device's topic and take over the backend's sessions. Set:\n` +
        fixes(problems).join('\n') +
        `\n  - or, to run anyway (not recommended), MQTT_INSECURE=true: a warning at start, every hour and on /health (docs/security.md).`,
    };
  }
  const why = mode.production ? 'MQTT_INSECURE=true' : 'NODE_ENV is not production';
  return { action: 'warn', message: `insecure MQTT broker, running anyway (${why}):\n${list}\nSee docs/security.md, "Broker".` };
}

function fixes(problems: readonly string[]): string[] {
  const out: string[] = [];
  if (problems.some((p) => p.includes('anonymous'))) {
    out.push('  - on the broker: allow_anonymous false, and per-device credentials with ACLs (Mosquitto dynamic security: deploy/mosquitto)');
  }
  if (problems.some((p) => p.includes('MQTT_ADMIN_USERNAME'))) {
    out.push("  - MQTT_ADMIN_USERNAME and MQTT_ADMIN_PASSWORD: the backend's provisioning identity on the broker (deploy/mosquitto/dynamic-security.md)");
  }
  return out;
}

/** Thrown by the start sequence; main.ts prints its message (no stack: it is an operator's message). */
export class BrokerSecurityError extends ConfigError {
  constructor(message: string) {
    super(message);
    this.stack = message;
  }
}

export const WARN_EVERY_MS = 60 * 60 * 1000;
const RECHECK_EVERY_MS = 15_000;

export interface BrokerGuardOptions {
  warn: (message: string) => void;
  info: (message: string) => void;
  /** A broker found insecure only after the start (it was unreachable then): stop the process. */
  onRefused: (message: string) => void;
  probe?: typeof probeAnonymousAccess;
  warnEveryMs?: number;
  recheckEveryMs?: number;
}

/**
 * Runs the check before anything else starts. Throws BrokerSecurityError when production must
 * not start; otherwise returns the state /health reads (`problems`) and `stop` for its timers.
 * A broker that does not answer is not claimed insecure (the product keeps retrying it, /health
 * says 503); in production it is probed again until it answers, and judged then.
 */
export async function guardBroker(config: AppConfig, options: BrokerGuardOptions): Promise<BrokerGuard> {
  const guard = new BrokerGuard(config, options);
  await guard.check();
  return guard;
}

export class BrokerGuard {
  private found: readonly string[] = [];
  private warnTimer: NodeJS.Timeout | undefined;
  private recheckTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private warnedUnreachable = false;

  constructor(
    private readonly config: AppConfig,
    private readonly options: BrokerGuardOptions,
  ) {}

  /** What was found insecure (empty when nothing was, or not yet known). */
  get problems(): readonly string[] {
    return this.found;
  }

  async check(): Promise<void> {
    const verdict = await this.assess();
    if (verdict?.action === 'refuse') throw new BrokerSecurityError(verdict.message);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.warnTimer);
    clearTimeout(this.recheckTimer);
  }

  /** undefined: the broker did not answer; judged later (production) or not at all. */
  private async assess(): Promise<BrokerVerdict | undefined> {
    const { config } = this;
    const embedded = !config.mqtt.url || config.embeddedBroker === true;
    const probe = this.options.probe ?? probeAnonymousAccess;
    const anonymous = embedded ? undefined : await probe(config.mqtt.url!, config.mqtt.protocolVersion);
    const problems = brokerSecurityProblems({
      embedded,
      url: config.mqtt.url,
      // With EMQX the broker asks the backend (emqx/): nothing to provision.
      provisioning: config.mqttAdmin !== undefined || config.emqxHooks !== undefined,
      provisions: config.roles.includes('api'),
      anonymous,
    });
    const verdict = brokerVerdict(problems, { production: config.production, insecureAllowed: config.mqttInsecure });
    // Unreachable, only missing provisioning can be found: refused whatever the broker would answer.
    if (verdict.action === 'refuse') return verdict;
    if (anonymous?.outcome === 'unreachable') {
      if (!this.warnedUnreachable) {
        this.options.warn(`MQTT broker not reachable (${anonymous.reason}): whether it accepts anonymous clients is checked once it answers`);
        this.warnedUnreachable = true;
      }
      if (verdict.action === 'warn') this.apply(problems, verdict.message);
      if (config.production) this.recheckLater();
      return undefined;
    }
    if (verdict.action === 'warn') this.apply(problems, verdict.message);
    if (verdict.action === 'ok' && config.mqttInsecure && !embedded) {
      this.options.info('MQTT_INSECURE=true is set, but the broker check found nothing insecure: the override is not needed');
    }
    return verdict;
  }

  /** Running with an insecure broker: a warning now and every hour; /health reads `problems`. */
  private apply(problems: string[], message: string): void {
    if (problems.join('\n') === this.found.join('\n')) return;
    this.found = problems;
    this.options.warn(message);
    clearInterval(this.warnTimer);
    this.warnTimer = setInterval(() => this.options.warn(message), this.options.warnEveryMs ?? WARN_EVERY_MS);
    this.warnTimer.unref();
  }

  private recheckLater(): void {
    this.recheckTimer = setTimeout(() => {
      if (this.stopped) return;
      this.assess().then(
        (verdict) => {
          if (verdict?.action === 'refuse' && !this.stopped) this.options.onRefused(verdict.message);
        },
        (err: unknown) => this.options.warn(`broker security check failed: ${String(err)}`),
      );
    }, this.options.recheckEveryMs ?? RECHECK_EVERY_MS);
    this.recheckTimer.unref();
  }
}

/** The URL without its password, for messages. */
function redactUrl(url: string | undefined): string {
  return (url ?? '').replace(/\/\/([^:@/]+):[^@/]+@/, '//$1:***@');
}
