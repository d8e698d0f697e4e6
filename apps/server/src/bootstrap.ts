import 'reflect-metadata';
import { ValidationPipe, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import type { Logger as PinoLogger } from 'pino';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { AppModule } from './app.module.js';
import { hashSecret } from './auth/password.js';
import { createAppLogger } from './common/app-logger.js';
import { applyHttpSecurity, assertPublicBaseUrl } from './common/http-security.js';
import type { AppConfig } from './config/app-config.js';
import { jsonTextTooDeep } from './common/json-depth.js';
import { createPool } from './database/database.module.js';
import { migrate } from './database/migrator.js';
import { createEmbeddedBrokerAuth, PgDeviceCredentialLookup } from './broker-auth/embedded-broker-auth.js';
import { fhirFeedBodyReader } from './fhir/feed/feed-body.js';
import { guardBroker } from './infrastructure/broker-security.js';
import { emqxHookBodyReader } from './emqx/emqx-hook-body.js';
import { EMQX_HOOKS_PATH } from './emqx/emqx-hooks.controller.js';
import { startEmbeddedBroker } from './infrastructure/embedded-broker.js';
import { startEmbeddedPostgres } from './infrastructure/embedded-postgres.js';
import { MIGRATIONS_DIR, PUBLIC_DIR } from './paths.js';

export interface Infrastructure {
  /** The configuration with the embedded services' addresses filled in. */
  config: AppConfig;
  stop: () => Promise<void>;
}

/**
 * Starts the embedded PostgreSQL if DATABASE_URL is unset and the embedded MQTT broker if MQTT_URL
 * is unset, each independently (CONTRACT.md §5), and returns the configuration pointing at them.
 */
export async function startInfrastructure(
  config: AppConfig,
  log: (msg: string) => void,
  /** `npm run migrate` needs only the database: no embedded broker for it. */
  needs: { broker: boolean } = { broker: true },
): Promise<Infrastructure> {
  const started: Infrastructure[] = [];
  const stopAll = async () => {
    for (const s of [...started].reverse()) await s.stop();
  };
  let current = config;
  const start = async (service: typeof embeddedDatabase) => {
    const s = await service(current, log);
    started.push(s);
    current = s.config;
  };
  try {
    if (!current.database.url) await start(embeddedDatabase);
    if (!current.mqtt.url && needs.broker) await start(embeddedBroker);
  } catch (err) {
    await stopAll().catch(() => undefined);
    throw err;
  }
  return { config: current, stop: stopAll };
}

async function embeddedDatabase(config: AppConfig, log: (msg: string) => void): Promise<Infrastructure> {
  const postgres = await startEmbeddedPostgres({
    dataDir: config.embedded.dataDir,
    port: config.embedded.pgPort,
    fresh: config.embedded.fresh,
    log,
  });
  log(`embedded PostgreSQL on ${postgres.url.replace(/:[^:@/]+@/, ':***@')}`);
  // JWT_SECRET is required with DATABASE_URL only: the embedded database's is kept beside its data.
  const jwtSecret = config.auth.jwtSecret ?? (await demoJwtSecret(config.embedded.dataDir));
  return {
    config: { ...config, database: { ...config.database, url: postgres.url }, auth: { ...config.auth, jwtSecret } },
    stop: () => postgres.stop(),
  };
}

async function embeddedBroker(config: AppConfig, log: (msg: string) => void): Promise<Infrastructure> {
  // The embedded broker authenticates devices against the devices table (docs/security.md), of
  // whichever database is used. Its pool is queried only when a client connects, so the broker
  // may start before the migrations.
  const authPool = createPool(config.database.url!, 2, 'telemonitoring-broker-auth');
  // Not a valid device id (":"), so no device can ever claim it.
  const internal = { username: 'tm:backend', password: randomBytes(24).toString('base64url') };
  const broker = await startEmbeddedBroker({
    port: config.embedded.mqttPort,
    hooks: createEmbeddedBrokerAuth({ lookup: new PgDeviceCredentialLookup(authPool), internal }),
  }).catch(async (err: unknown) => {
    await authPool.end().catch(() => undefined);
    throw err;
  });
  log(`embedded MQTT broker on ${broker.url}`);
  return {
    config: {
      ...config,
      // aedes speaks MQTT 3.1.1 and has no shared subscriptions: ingestion uses one plain subscription.
      mqtt: { ...config.mqtt, url: broker.url, sharedSubscriptions: false, protocolVersion: 4, ...internal },
      embeddedBroker: true,
    },
    stop: async () => {
      await broker.stop();
      await authPool.end().catch(() => undefined);
    },
  };
}

/** The demo's token secret is random per data directory and kept there, so tokens survive a restart. */
async function demoJwtSecret(dataDir: string): Promise<string> {
  const file = join(resolve(dataDir), 'jwt-secret');
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  await mkdir(resolve(dataDir), { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  await writeFile(file, secret, { mode: 0o600 });
  return secret;
}

/** Applies pending migrations, then creates the first admin if asked and none exists. */
export async function prepareDatabase(config: AppConfig, log: (msg: string) => void): Promise<void> {
  const pool = createPool(config.database.url!, 2, 'telemonitoring-migrate');
  try {
    if (config.database.migrateOnStart) {
      const result = await migrate(pool, MIGRATIONS_DIR, log);
      log(`database schema up to date (${result.flavour}, ${result.applied.length} migration(s) applied)`);
    }
    if (config.bootstrapAdmin) {
      const { username, password } = config.bootstrapAdmin;
      const created = await pool.query(
        `INSERT INTO users (username, password_hash, role)
         SELECT $1, $2, 'admin' WHERE NOT EXISTS (SELECT 1 FROM users WHERE role = 'admin')
         ON CONFLICT (username) DO NOTHING`,
        [username, await hashSecret(password)],
      );
      if (created.rowCount) log(`bootstrap admin "${username}" created`);
    }
  } finally {
    await pool.end();
  }
}

/**
 * Builds the Nest application (pipes, filter, OpenAPI, static console) without listening. Nest's
 * own messages go through the process's pino logger too (`logger`, or one made from the
 * configuration): buffered until it is in place, so none is written by Nest's console logger.
 * `logger: false` silences Nest's messages (tests).
 */
export async function createApp(config: AppConfig, options: { logger?: PinoLogger | false } = {}): Promise<INestApplication> {
  assertPublicBaseUrl(config);
  const nestLogs = options.logger !== false;
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config, options.logger || createAppLogger(config)), {
    bufferLogs: nestLogs,
    logger: nestLogs ? undefined : false,
    bodyParser: false,
  });
  if (nestLogs) app.useLogger(app.get(Logger));
  applyHttpSecurity(app, config);
  // Bodies above 1 MiB are refused with 413, bodies nested deeper than MAX_JSON_DEPTH with 400,
  // before any handler runs.
  // `verify` is body-parser's own hook (Nest's option type leaves it out for its rawBody mode, not
  // used here); an error with a status it throws is answered like its own (AllExceptionsFilter).
  const jsonOptions = {
    limit: '1mb',
    verify: (_req: unknown, _res: unknown, body: Buffer) => {
      if (jsonTextTooDeep(body)) throw Object.assign(new Error('request body nested too deeply'), { status: 400, type: 'entity.too.deep' });
    },
  };
  // EMQX's hook bodies are read as text first, so malformed ones are answered deny (emqx/).
  if (config.emqxHooks) app.use(EMQX_HOOKS_PATH, emqxHookBodyReader);
  // Inbound FHIR Bundles (application/fhir+json) are read as text and parsed by the feed (fhir/feed).
  if (config.roles.includes('ingest')) app.use('/fhir', fhirFeedBodyReader);
  app.useBodyParser('json', jsonOptions);
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, stopAtFirstError: false }),
  );
  app.enableShutdownHooks();
  // X-Forwarded-* is believed only from the proxies TRUST_PROXY names (default none): req.ip feeds
  // the login limits and the audit's source address.
  app.set('trust proxy', config.trustProxy);
  if (existsSync(PUBLIC_DIR)) app.useStaticAssets(PUBLIC_DIR, { index: false, redirect: false });
  const openApi = new DocumentBuilder()
    .setTitle('Respiratory telemonitoring API')
    .setDescription('REST API of CONTRACT.md §4. Every patient-scoped route answers 404 for a patient outside your care teams.')
    .setVersion('1')
    .addBearerAuth()
    .build();
  // Off in production unless API_DOCS=true: then /api/docs and /api/docs-json answer 404.
  if (config.exposure.apiDocs) SwaggerModule.setup('api/docs', app, () => SwaggerModule.createDocument(app, openApi));
  return app;
}

/** The whole start sequence of `npm start`, every step logging through the one `logger`. */
export async function run(
  config: AppConfig,
  logger: PinoLogger = createAppLogger(config),
): Promise<{ app: INestApplication; stop: () => Promise<void> }> {
  const bootstrapLogger = logger.child({ context: 'Bootstrap' });
  const log = (msg: string) => bootstrapLogger.info(msg);
  const started: { stop?: () => Promise<void> } = {};
  // Before anything starts: production refuses an insecure broker (docs/security.md, "Broker").
  const brokerSecurity = await guardBroker(config, {
    warn: (msg) => bootstrapLogger.warn(msg),
    info: log,
    onRefused: (msg) => {
      bootstrapLogger.error(msg);
      void (started.stop?.() ?? Promise.resolve()).finally(() => process.exit(1));
    },
  });
  const infra = await startInfrastructure(config, log);
  await prepareDatabase(infra.config, log);
  const app = await createApp({ ...infra.config, brokerSecurity }, { logger });
  await app.listen(infra.config.http.port, infra.config.http.host ?? '0.0.0.0');
  const url = `http://localhost:${infra.config.http.port}`;
  log(`roles: ${infra.config.roles.join(', ')}${infra.config.demo ? ' (demo mode)' : ''}`);
  log(`API on ${url}/api (OpenAPI ${infra.config.exposure.apiDocs ? `${url}/api/docs` : 'off: API_DOCS'}), nurse console on ${url}/console, health ${url}/health`);
  started.stop = async () => {
    brokerSecurity.stop();
    await app.close();
    await infra.stop();
  };
  return { app, stop: started.stop };
}
