import 'reflect-metadata';
import { plainToInstance, Transform } from 'class-transformer';
import {
  ArrayNotEmpty,
  getMetadataStorage,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';
import { withSessionSettings } from './database-url.js';
import { defaultIngestInstanceId } from './ingest-client-id.js';

/** Processes can run every role (demo, small sites) or one role each (scale-out): see docs/architecture.md. */
export const PROCESS_ROLES = ['api', 'ingest', 'scheduler'] as const;
export type ProcessRole = (typeof PROCESS_ROLES)[number];

/** true/false/1/0 in any case; anything else is kept as is, so that @IsBoolean refuses it by name. */
const toBool = ({ value }: { value: unknown }) => {
  if (value === undefined || value === '') return undefined;
  const text = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (text === true || text === 'true' || text === '1') return true;
  if (text === false || text === 'false' || text === '0') return false;
  return value;
};
const BOOLEAN = { message: '$property must be true, false, 1 or 0 (any case)' };
const toInt = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : Number(value));
const toList = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : value;

/** The environment as read. Each property is named after its variable so errors name the variable. */
class Environment {
  @IsOptional() @IsString() @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL?: string;

  /**
   * The database role the running application acts as (e.g. `telemonitoring_app`, created by the
   * migrations: all DML, audit_log append-only). Every connection built from DATABASE_URL then
   * starts with `role` set to it; the migrator goes back to the login for migrations. Narrows a
   * login that owns the schema; the boundary proper is a login that does not (docs/security.md).
   */
  @IsOptional() @IsString() @Matches(/^[a-z_][a-z0-9_]{0,62}$/, { message: 'DATABASE_APP_ROLE must be a lower-case role name ([a-z_][a-z0-9_]*, at most 63 characters)' })
  DATABASE_APP_ROLE?: string;

  @IsOptional() @IsString() @Matches(/^(mqtts?|wss?|tcp):\/\//, { message: 'MQTT_URL must be an mqtt://, mqtts://, ws:// or wss:// URL' })
  MQTT_URL?: string;

  @IsOptional() @IsString() MQTT_USERNAME?: string;
  @IsOptional() @IsString() MQTT_PASSWORD?: string;
  /** false for brokers without `$share/` groups (the embedded aedes): one plain subscription on one connection. */
  @Transform(toBool) @IsBoolean(BOOLEAN) MQTT_SHARED_SUBSCRIPTIONS = true;
  /** 5 (default: session expiry, receive maximum) or 4 (MQTT 3.1.1, the embedded aedes). */
  @Transform(toInt) @IsIn([4, 5], { message: 'MQTT_PROTOCOL_VERSION must be 4 (MQTT 3.1.1) or 5' }) MQTT_PROTOCOL_VERSION: 4 | 5 = 5;

  /** The backend's provisioning identity on Mosquitto (dynamic security admin): see docs/security.md. */
  @IsOptional() @IsString() MQTT_ADMIN_USERNAME?: string;
  @IsOptional() @IsString() MQTT_ADMIN_PASSWORD?: string;
  /**
   * The credential EMQX's HTTP authentication and authorization hooks send (`Authorization:
   * Bearer …`, deploy/emqx): unset, the hook routes do not exist (apps/server/src/emqx).
   */
  @IsOptional() @IsString() @MinLength(32, { message: 'EMQX_HOOK_SECRET must be at least 32 characters' })
  EMQX_HOOK_SECRET?: string;
  /** Production override: run against a broker that accepts anonymous clients or without provisioning (docs/security.md). */
  @Transform(toBool) @IsBoolean(BOOLEAN) MQTT_INSECURE = false;
  /** `production`: JSON logs, and an insecure broker is refused at start (infrastructure/broker-security.ts); anything else warns. */
  @IsOptional() @IsString() NODE_ENV?: string;

  @IsOptional() @IsString() @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must be a redis:// URL' })
  REDIS_URL?: string;

  /** Prefix of every Redis key and channel this deployment uses (several deployments may share one Redis). */
  @IsString() @Matches(/^[A-Za-z0-9_.:-]{1,64}$/, { message: 'REDIS_KEY_PREFIX must be 1-64 characters of A-Z a-z 0-9 _ . : -' })
  REDIS_KEY_PREFIX = 'tm';

  @Transform(toInt) @IsInt() @Min(0) @Max(65535)
  PORT = 3000;

  @IsOptional() @IsString() HOST?: string;

  @Transform(toBool) @IsOptional() @IsBoolean(BOOLEAN) DEMO?: boolean;

  /** In demo mode, whether to start the device simulator (tests seed the demo without it). */
  @Transform(toBool) @IsBoolean(BOOLEAN) DEMO_SIMULATOR = true;

  @Transform(toBool) @IsBoolean(BOOLEAN) MIGRATE_ON_START = true;

  @Transform(toList) @IsIn(PROCESS_ROLES, { each: true, message: `ROLES must be a comma-separated list of ${PROCESS_ROLES.join(', ')}` })
  @ArrayNotEmpty({ message: `ROLES must name at least one role (${PROCESS_ROLES.join(', ')}); unset, a process runs them all` })
  ROLES: ProcessRole[] = [...PROCESS_ROLES];

  /** Signs access tokens. Required outside the demo; the demo generates one per data directory. */
  @IsOptional() @IsString() @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
  JWT_SECRET?: string;

  // Sessions (issue 21: refresh, throttling, proxies). The minimum TTL is low so that tests can see
  // a token expire; the console renews well before (docs/security.md "Sessions").
  @Transform(toInt) @IsInt() @Min(10) @Max(86400) ACCESS_TOKEN_TTL_SECONDS = 900;
  /** Lifetime of a refresh token; each refresh rotates it and starts a new one (a shift, by default). */
  @Transform(toInt) @IsInt() @Min(60) @Max(30 * 86400) REFRESH_TOKEN_TTL_SECONDS = 12 * 3600;
  /** Failed logins allowed per client address and per username (all addresses) in one minute; more get 429. */
  @Transform(toInt) @IsInt() @Min(1) @Max(1000000) LOGIN_RATE_LIMIT_PER_IP = 10;
  @Transform(toInt) @IsInt() @Min(1) @Max(1000000) LOGIN_RATE_LIMIT_PER_USERNAME = 100;
  /** First lock of one (username, address) after 5 failures; each further failure doubles it, up to 15 minutes. */
  @Transform(toInt) @IsInt() @Min(1) @Max(900) LOGIN_LOCK_BASE_SECONDS = 60;
  /**
   * The proxies whose X-Forwarded-* headers are believed (Express's `trust proxy`): `loopback`,
   * addresses or CIDRs, comma-separated, or a hop count. Unset: none, the socket's peer is the client.
   */
  @IsOptional() @IsString() @Matches(/^(\d{1,2}|[A-Za-z0-9.:/_,\s-]+)$/, { message: 'TRUST_PROXY must be a hop count or a comma-separated list of addresses, CIDRs or loopback/linklocal/uniquelocal' })
  TRUST_PROXY?: string;

  @IsOptional() @IsString() BOOTSTRAP_ADMIN_USERNAME?: string;
  @IsOptional() @IsString() @MinLength(12, { message: 'BOOTSTRAP_ADMIN_PASSWORD must be at least 12 characters' })
  BOOTSTRAP_ADMIN_PASSWORD?: string;

  /** Where the embedded PostgreSQL (used when DATABASE_URL is unset) keeps its data. */
  @IsString() EMBEDDED_DATA_DIR = '.data';
  @Transform(toBool) @IsBoolean(BOOLEAN) EMBEDDED_FRESH = false;
  @Transform(toInt) @IsInt() @Min(1) @Max(65535) EMBEDDED_PG_PORT = 54329;
  @Transform(toInt) @IsInt() @Min(1) @Max(65535) EMBEDDED_MQTT_PORT = 1884;

  // Ingestion tuning (issue 8).
  @Transform(toInt) @IsInt() @Min(1) @Max(32) INGEST_CONNECTIONS = 4;
  /** The `<group>` of `$share/<group>/…`: one topic level, so no `/`, and no wildcard (`+`, `#`). */
  @IsString() @Matches(/^[^/+#\s]+$/, { message: 'INGEST_SHARE_GROUP must not contain MQTT separators or wildcards (/ + #) or spaces' })
  INGEST_SHARE_GROUP = 'ingest';
  /**
   * Ingest client ids (config/ingest-client-id.ts): `<prefix>-<instance>-<i>`, stable across restarts
   * of one instance (the broker keeps its sessions) and distinct between instances. An explicit
   * prefix without an instance id keeps the former `<prefix>-<i>`.
   */
  @IsOptional() @IsString() INGEST_CLIENT_ID_PREFIX?: string;
  @IsOptional() @IsString() @Matches(/^[A-Za-z0-9_.-]{1,64}$/, { message: 'INGEST_INSTANCE_ID must be 1-64 characters of A-Z a-z 0-9 _ . -' })
  INGEST_INSTANCE_ID?: string;
  @Transform(toInt) @IsInt() @Min(1) @Max(100000) INGEST_BATCH_MAX_ROWS = 5000;
  @Transform(toInt) @IsInt() @Min(1) @Max(10000) INGEST_BATCH_MAX_DELAY_MS = 20;
  @Transform(toInt) @IsInt() @Min(1) @Max(365) BACKFILL_HORIZON_DAYS = 30;
  @Transform(toInt) @IsInt() @Min(0) @Max(3600) FUTURE_SKEW_SECONDS = 300;
  /** Parallel batch writers (each its own database connection), so parsing overlaps commits. */
  @Transform(toInt) @IsInt() @Min(1) @Max(16) INGEST_WRITERS = 2;
  /** Back-pressure: payload bytes received and not yet committed, acknowledged and handed to the rules. */
  @Transform(toInt) @IsInt() @Min(1_048_576) @Max(1_073_741_824) INGEST_MAX_INFLIGHT_BYTES = 16 * 1_048_576;
  /**
   * MQTT 5 session expiry of the ingest connections: how long the broker keeps their
   * subscriptions and queued messages while they are away (restart, outage). Messages queued for
   * a session that expires are lost: keep it longer than any planned downtime.
   */
  @Transform(toInt) @IsInt() @Min(0) @Max(4_294_967_295) INGEST_SESSION_EXPIRY_SECONDS = 7 * 86400;
  /** How long a device's registration (patient, kind, active) is trusted before it is read again. */
  @Transform(toInt) @IsInt() @Min(100) @Max(600_000) INGEST_DEVICE_CACHE_TTL_MS = 5000;
  /**
   * Ingest shards (issue 19, docs/scaling.md): INGEST_SHARDS processes, each with its INGEST_SHARD
   * (0-based), one plain persistent subscription and client id `<prefix>-shard-<i>`; each stores
   * only the devices whose hash is its shard and acknowledges the others unstored. Set both or neither.
   */
  @Transform(toInt) @IsOptional() @IsInt() @Min(1) @Max(1024) INGEST_SHARDS?: number;
  @Transform(toInt) @IsOptional() @IsInt() @Min(0) @Max(1023) INGEST_SHARD?: number;

  @Transform(toInt) @IsInt() @Min(1) @Max(200) DB_POOL_SIZE = 10;

  // Alerts (issue 3): an open (unacknowledged) alert escalates to the patient's physicians after this.
  @Transform(toInt) @IsInt() @Min(1) @Max(10080) ESCALATE_CRITICAL_AFTER_MINUTES = 15;
  @Transform(toInt) @IsInt() @Min(1) @Max(10080) ESCALATE_WARNING_AFTER_MINUTES = 240;
  // Reviews (LATM): a patient without a review for longer than this is flagged "review overdue" in the console.
  @Transform(toInt) @IsInt() @Min(1) @Max(92) REVIEW_CADENCE_DAYS = 7;
  // Scheduler periods (role 'scheduler'): escalations, silent devices, nightly rules.
  @Transform(toInt) @IsInt() @Min(5) @Max(3600) SCHEDULER_ESCALATION_SECONDS = 30;
  @Transform(toInt) @IsInt() @Min(10) @Max(86400) SCHEDULER_SILENCE_SECONDS = 300;
  @Transform(toInt) @IsInt() @Min(60) @Max(86400) SCHEDULER_NIGHTLY_SECONDS = 3600;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) LOG_LEVEL = 'info';
  /** Unset: JSON with NODE_ENV=production, pino-pretty on a terminal or in the demo, JSON otherwise. */
  @IsOptional() @IsIn(['json', 'pretty'], { message: 'LOG_FORMAT must be json or pretty' }) LOG_FORMAT?: 'json' | 'pretty';

  // HTTP exposure (issue 21 §4, docs/security.md "HTTP surface").
  /** The address clients reach the API at (the proxy's): absolute links (FHIR) are built from it, never from Host. */
  @IsOptional() @IsString() @Matches(/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/, { message: 'PUBLIC_BASE_URL must be an http:// or https:// URL without query or fragment' })
  PUBLIC_BASE_URL?: string;

  // Pro Santé Connect (CONTRACT §8, docs/security.md §5): all four, or none (PSC off: 503 PSC_NOT_CONFIGURED).
  @IsOptional() @IsString() @Matches(/^https?:\/\/\S+$/, { message: 'PSC_ISSUER must be an http(s) URL' }) PSC_ISSUER?: string;
  @IsOptional() @IsString() PSC_CLIENT_ID?: string;
  @IsOptional() @IsString() PSC_CLIENT_SECRET?: string;
  @IsOptional() @IsString() @Matches(/^https?:\/\/\S+$/, { message: 'PSC_REDIRECT_URI must be an http(s) URL' }) PSC_REDIRECT_URI?: string;
  /** Serve the OpenAPI document and UI at /api/docs. Unset: on, except with NODE_ENV=production. */
  @Transform(toBool) @IsOptional() @IsBoolean(BOOLEAN) API_DOCS?: boolean;
  /** Bearer token /metrics requires when set. Unset: /metrics is open, except with NODE_ENV=production (404). */
  @IsOptional() @IsString() @MinLength(16, { message: 'METRICS_TOKEN must be at least 16 characters' })
  METRICS_TOKEN?: string;
}

export interface AppConfig {
  /** Demo mode: demo data and simulator (by default when both the database and broker are embedded). */
  demo: boolean;
  /** Start the device simulator in demo mode (DEMO_SIMULATOR, default true). */
  demoSimulator: boolean;
  /** `url` carries DATABASE_APP_ROLE (as `options=-c role=…`) when it is set; `appRole` names it. */
  database: { url: string | undefined; poolSize: number; migrateOnStart: boolean; appRole: string | undefined };
  mqtt: {
    url: string | undefined;
    username: string | undefined;
    password: string | undefined;
    /** The broker supports `$share/<group>/` subscriptions (Mosquitto, EMQX); aedes does not. */
    sharedSubscriptions: boolean;
    protocolVersion: 4 | 5;
  };
  /**
   * Provisioning of device credentials on Mosquitto's dynamic security plugin (issue 7). Unset:
   * devices registered through the API get no broker account (warned at start).
   */
  mqttAdmin: { username: string; password: string } | undefined;
  /** EMQX asks the backend who may connect, publish and subscribe (EMQX_HOOK_SECRET; docs/scaling.md, stage 4). */
  emqxHooks: { secret: string } | undefined;
  /** NODE_ENV=production: an insecure broker is refused at start unless `mqttInsecure` (MQTT_INSECURE=true). */
  production: boolean;
  mqttInsecure: boolean;
  /** Set by the start sequence (bootstrap.ts): what the broker check found insecure, for /health. */
  brokerSecurity?: { readonly problems: readonly string[] };
  /** Set by the embedded infrastructure: the broker authenticates devices against the database itself. */
  embeddedBroker?: boolean;
  redisUrl: string | undefined;
  /** Prefix of Redis keys and channels (socket.io adapter). */
  redisKeyPrefix: string;
  http: { port: number; host: string | undefined };
  roles: ProcessRole[];
  auth: {
    jwtSecret: string | undefined;
    accessTokenTtlSeconds: number;
    refreshTokenTtlSeconds: number;
    /** Failed logins per minute before 429 TOO_MANY_REQUESTS. */
    loginRateLimit: { perIp: number; perUsername: number };
    loginLockBaseSeconds: number;
  };
  /** Express `trust proxy`: false (none), a hop count, or a list of addresses/CIDRs/names. */
  trustProxy: false | number | string[];
  bootstrapAdmin: { username: string; password: string } | undefined;
  embedded: { dataDir: string; fresh: boolean; pgPort: number; mqttPort: number };
  ingest: {
    connections: number;
    shareGroup: string;
    clientIdPrefix: string;
    /** Middle part of the client ids; undefined: `<prefix>-<i>` (an explicit prefix, no INGEST_INSTANCE_ID). */
    instanceId: string | undefined;
    batchMaxRows: number;
    batchMaxDelayMs: number;
    backfillHorizonDays: number;
    futureSkewSeconds: number;
    writers: number;
    maxInflightBytes: number;
    deviceCacheTtlMs: number;
    sessionExpirySeconds: number;
    /** Shards mode (INGEST_SHARDS / INGEST_SHARD): this process stores only its shard's devices. */
    shard: IngestShard | undefined;
  };
  alerts: { escalateCriticalAfterMinutes: number; escalateWarningAfterMinutes: number };
  /** The operator's cadence of reviews: days after the last one a patient is due (REVIEW_CADENCE_DAYS). */
  reviewCadenceDays: number;
  scheduler: { escalationEverySeconds: number; silenceEverySeconds: number; nightlyEverySeconds: number };
  logLevel: string;
  /** One line of JSON per log entry (log collectors), or pino-pretty's lines (people). */
  logFormat: 'json' | 'pretty';
  /** What the HTTP listener exposes (common/http-security.ts). */
  exposure: {
    /** NODE_ENV=production. */
    production: boolean;
    /** PUBLIC_BASE_URL without its trailing slash. */
    publicBaseUrl: string | undefined;
    /** /api/docs served (API_DOCS; default: outside production). */
    apiDocs: boolean;
    metricsToken: string | undefined;
  };
  /** Pro Santé Connect (OpenID Connect); undefined: off. */
  psc: { issuer: string; clientId: string; clientSecret: string; redirectUri: string } | undefined;
}

/** One ingest process's part of the devices (INGEST_SHARDS / INGEST_SHARD, ingest/device-shard.ts). */
export interface IngestShard {
  /** 0-based: this process's shard. */
  readonly index: number;
  /** How many shards (one process each) share the devices. */
  readonly count: number;
}

export class ConfigError extends Error {}

/** Every environment variable the configuration reads (so deployment files can be checked against it). */
export function configVariableNames(): string[] {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(Environment, '', true, false);
  return [...new Set(metadata.map((m) => m.propertyName))].sort();
}

/** Reads and validates the environment once; throws a ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, stdoutIsTTY = process.stdout.isTTY === true): AppConfig {
  const raw = plainToInstance(Environment, stripEmpty(env), { exposeDefaultValues: true });
  const errors = validateSync(raw, { whitelist: false });
  if (errors.length > 0) {
    const lines = errors.flatMap((e) => Object.values(e.constraints ?? {}).map((m) => `  ${e.property}: ${m}`));
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  // Each unset URL falls back to its embedded service, independently (CONTRACT.md §5); the demo
  // data and simulator come by default only when both are embedded.
  const demo = raw.DEMO ?? (!raw.DATABASE_URL && !raw.MQTT_URL);
  if (raw.DATABASE_APP_ROLE && !raw.DATABASE_URL) {
    throw new ConfigError('Invalid configuration:\n  DATABASE_APP_ROLE: needs DATABASE_URL (the embedded demo database has no such role)');
  }
  // With the embedded PostgreSQL the secret is generated and kept in its data directory.
  if (raw.DATABASE_URL && !raw.JWT_SECRET) {
    throw new ConfigError('Invalid configuration:\n  JWT_SECRET: required when DATABASE_URL is set');
  }
  const pscVars = [raw.PSC_ISSUER, raw.PSC_CLIENT_ID, raw.PSC_CLIENT_SECRET, raw.PSC_REDIRECT_URI];
  if (pscVars.some((v) => v) && !pscVars.every((v) => v)) {
    throw new ConfigError('Invalid configuration:\n  PSC_ISSUER, PSC_CLIENT_ID, PSC_CLIENT_SECRET, PSC_REDIRECT_URI: give all four (Pro Santé Connect) or none');
  }
  if (raw.JWT_SECRET && lowEntropy(raw.JWT_SECRET)) {
    throw new ConfigError('Invalid configuration:\n  JWT_SECRET: too predictable (repeated or few distinct characters); use a random value, e.g. `openssl rand -base64 48`');
  }
  if (!!raw.MQTT_ADMIN_USERNAME !== !!raw.MQTT_ADMIN_PASSWORD) {
    throw new ConfigError('Invalid configuration:\n  MQTT_ADMIN_USERNAME and MQTT_ADMIN_PASSWORD: set both or neither');
  }
  if (!!raw.BOOTSTRAP_ADMIN_USERNAME !== !!raw.BOOTSTRAP_ADMIN_PASSWORD) {
    throw new ConfigError(
      'Invalid configuration:\n  BOOTSTRAP_ADMIN_USERNAME and BOOTSTRAP_ADMIN_PASSWORD: set both or neither',
    );
  }
  const shard = ingestShard(raw, stripEmpty(env).MQTT_SHARED_SUBSCRIPTIONS !== undefined);
  return {
    demo,
    demoSimulator: raw.DEMO_SIMULATOR,
    database: {
      url: raw.DATABASE_URL && raw.DATABASE_APP_ROLE ? withSessionSettings(raw.DATABASE_URL, { role: raw.DATABASE_APP_ROLE }) : raw.DATABASE_URL,
      poolSize: raw.DB_POOL_SIZE,
      migrateOnStart: raw.MIGRATE_ON_START,
      appRole: raw.DATABASE_APP_ROLE,
    },
    mqtt: {
      url: raw.MQTT_URL,
      username: raw.MQTT_USERNAME,
      password: raw.MQTT_PASSWORD,
      // A shard has one plain subscription of its own (Mosquitto restores it after a restart).
      sharedSubscriptions: shard ? false : raw.MQTT_SHARED_SUBSCRIPTIONS,
      protocolVersion: raw.MQTT_PROTOCOL_VERSION,
    },
    mqttAdmin:
      raw.MQTT_ADMIN_USERNAME && raw.MQTT_ADMIN_PASSWORD
        ? { username: raw.MQTT_ADMIN_USERNAME, password: raw.MQTT_ADMIN_PASSWORD }
        : undefined,
    emqxHooks: raw.EMQX_HOOK_SECRET ? { secret: raw.EMQX_HOOK_SECRET } : undefined,
    production: raw.NODE_ENV === 'production',
    mqttInsecure: raw.MQTT_INSECURE,
    redisUrl: raw.REDIS_URL,
    redisKeyPrefix: raw.REDIS_KEY_PREFIX,
    http: { port: raw.PORT, host: raw.HOST },
    roles: raw.ROLES,
    auth: {
      jwtSecret: raw.JWT_SECRET,
      accessTokenTtlSeconds: raw.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlSeconds: raw.REFRESH_TOKEN_TTL_SECONDS,
      loginRateLimit: { perIp: raw.LOGIN_RATE_LIMIT_PER_IP, perUsername: raw.LOGIN_RATE_LIMIT_PER_USERNAME },
      loginLockBaseSeconds: raw.LOGIN_LOCK_BASE_SECONDS,
    },
    trustProxy: parseTrustProxy(raw.TRUST_PROXY),
    bootstrapAdmin:
      raw.BOOTSTRAP_ADMIN_USERNAME && raw.BOOTSTRAP_ADMIN_PASSWORD
        ? { username: raw.BOOTSTRAP_ADMIN_USERNAME, password: raw.BOOTSTRAP_ADMIN_PASSWORD }
        : undefined,
    embedded: {
      dataDir: raw.EMBEDDED_DATA_DIR,
      fresh: raw.EMBEDDED_FRESH,
      pgPort: raw.EMBEDDED_PG_PORT,
      mqttPort: raw.EMBEDDED_MQTT_PORT,
    },
    ingest: {
      connections: raw.INGEST_CONNECTIONS,
      shareGroup: raw.INGEST_SHARE_GROUP,
      clientIdPrefix: raw.INGEST_CLIENT_ID_PREFIX ?? 'tm-ingest',
      instanceId: raw.INGEST_INSTANCE_ID ?? (raw.INGEST_CLIENT_ID_PREFIX ? undefined : defaultIngestInstanceId()),
      batchMaxRows: raw.INGEST_BATCH_MAX_ROWS,
      batchMaxDelayMs: raw.INGEST_BATCH_MAX_DELAY_MS,
      backfillHorizonDays: raw.BACKFILL_HORIZON_DAYS,
      futureSkewSeconds: raw.FUTURE_SKEW_SECONDS,
      writers: raw.INGEST_WRITERS,
      maxInflightBytes: raw.INGEST_MAX_INFLIGHT_BYTES,
      deviceCacheTtlMs: raw.INGEST_DEVICE_CACHE_TTL_MS,
      sessionExpirySeconds: raw.INGEST_SESSION_EXPIRY_SECONDS,
      shard,
    },
    alerts: {
      escalateCriticalAfterMinutes: raw.ESCALATE_CRITICAL_AFTER_MINUTES,
      escalateWarningAfterMinutes: raw.ESCALATE_WARNING_AFTER_MINUTES,
    },
    reviewCadenceDays: raw.REVIEW_CADENCE_DAYS,
    scheduler: {
      escalationEverySeconds: raw.SCHEDULER_ESCALATION_SECONDS,
      silenceEverySeconds: raw.SCHEDULER_SILENCE_SECONDS,
      nightlyEverySeconds: raw.SCHEDULER_NIGHTLY_SECONDS,
    },
    logLevel: raw.LOG_LEVEL,
    // Production logs go to a collector; someone watching a terminal or trying the demo reads them.
    logFormat: raw.LOG_FORMAT ?? (raw.NODE_ENV === 'production' ? 'json' : stdoutIsTTY || demo ? 'pretty' : 'json'),
    exposure: {
      production: raw.NODE_ENV === 'production',
      publicBaseUrl: raw.PUBLIC_BASE_URL?.replace(/\/+$/, ''),
      apiDocs: raw.API_DOCS ?? raw.NODE_ENV !== 'production',
      metricsToken: raw.METRICS_TOKEN,
    },
    psc:
      raw.PSC_ISSUER && raw.PSC_CLIENT_ID && raw.PSC_CLIENT_SECRET && raw.PSC_REDIRECT_URI
        ? { issuer: raw.PSC_ISSUER, clientId: raw.PSC_CLIENT_ID, clientSecret: raw.PSC_CLIENT_SECRET, redirectUri: raw.PSC_REDIRECT_URI }
        : undefined,
  };
}

/**
 * A secret whose characters, counted by frequency (Shannon), carry under 96 bits, or that uses
 * fewer than 8 distinct characters: `aaaa…`, `abababab…`, a short word repeated. A random base64 or
 * hex string of 32 characters carries ~150 or ~115 bits by this measure.
 */
export function lowEntropy(secret: string): boolean {
  const counts = new Map<string, number>();
  for (const ch of secret) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bitsPerChar = 0;
  for (const n of counts.values()) bitsPerChar -= (n / secret.length) * Math.log2(n / secret.length);
  return counts.size < 8 || bitsPerChar * secret.length < 96;
}

function parseTrustProxy(value: string | undefined): false | number | string[] {
  if (value === undefined || value.trim() === '' || value.trim().toLowerCase() === 'false') return false;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

/** INGEST_SHARDS / INGEST_SHARD: both or neither, a shard below the count, no `$share` group with them. */
function ingestShard(raw: Environment, sharedSet: boolean): IngestShard | undefined {
  const { INGEST_SHARDS: count, INGEST_SHARD: index } = raw;
  if (count === undefined && index === undefined) return undefined;
  if (count === undefined || index === undefined) {
    throw new ConfigError('Invalid configuration:\n  INGEST_SHARDS and INGEST_SHARD: set both or neither');
  }
  if (index >= count) {
    throw new ConfigError(`Invalid configuration:\n  INGEST_SHARD: must be below INGEST_SHARDS (0 to ${count - 1}), got ${index}`);
  }
  // Every shard receives every message: in a $share group each would see only part of them.
  if (sharedSet && raw.MQTT_SHARED_SUBSCRIPTIONS) {
    throw new ConfigError(
      'Invalid configuration:\n  MQTT_SHARED_SUBSCRIPTIONS: must be false (or unset) with INGEST_SHARDS (each shard has its own plain subscription)',
    );
  }
  return { index, count };
}

/** Treat `VAR=` like an unset variable, as most deployment tools write it. */
function stripEmpty(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') out[k] = v;
  return out;
}

/** Injection token of the AppConfig object. */
export const APP_CONFIG = Symbol('APP_CONFIG');
