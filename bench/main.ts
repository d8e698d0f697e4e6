import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../apps/server/src/paths.js';
import { assemble } from './assemble.js';
import { fetchMetrics, readProcStatus, scrapeMetric, startBackend, waitHealthy, type BackendProcess } from './backend.js';
import { offeredReadingsPerSecond, parseBenchOptions, type BenchOptions } from './bench-options.js';
import { checkpoint, prepareDatabase, startBroker } from './infra.js';
import { countStored, runLoadPhase, type LoadPhaseResult } from './load-phase.js';
import { provision } from './provision.js';
import { measureRawCeiling } from './raw-ceiling.js';
import { formatTable, writeResult, type BenchResult } from './report.js';
import { runReportStage } from './report-stage.js';
import { seedTrendHistory, timeTrendQuery, trendsEndpointPresent } from './trend-query.js';
import { formatWhatIf, seedVentilatorSessions, timeWhatIfReplay } from './whatif-replay.js';

/** Environment passed through to the backend processes, so `INGEST_WRITERS=3 npm run bench` tunes the product. */
const PASS_THROUGH = /^(INGEST_|MQTT_SHARED_SUBSCRIPTIONS$|DB_POOL_SIZE$|LOG_LEVEL$|NODE_OPTIONS$|UV_THREADPOOL_SIZE$|RULES_|ALERT)/;
const started = Date.now();
const log = (m: string) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${m}\n`);

async function main(): Promise<void> {
  const options = parseBenchOptions(process.argv.slice(2), process.env);
  const cleanups: Array<() => Promise<unknown>> = [];
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      for (const c of cleanups.reverse()) await c().catch((err: unknown) => log(`cleanup: ${(err as Error).message}`));
    })());
  // The whole run is bounded: setup + load + drain + ceiling + margin.
  const budgetMs = (options.durationS + options.capacityS + 2 * options.drainTimeoutS + options.ceilingS + 240) * 1000;
  const watchdog = setTimeout(() => {
    log(`run exceeded ${Math.round(budgetMs / 1000)} s: stopping everything`);
    void cleanup().finally(() => process.exit(3));
  }, budgetMs);
  watchdog.unref();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping everything`);
      void cleanup().finally(() => process.exit(130));
    });
  }
  try {
    const result = await run(options, cleanups);
    const file = await writeResult(join(PROJECT_ROOT, options.output), result);
    process.stdout.write(`${formatTable(result)}\n\nJSON: ${file}\n`);
  } finally {
    await cleanup();
    clearTimeout(watchdog);
  }
}

async function run(options: BenchOptions, cleanups: Array<() => Promise<unknown>>): Promise<BenchResult> {
  const startedAt = new Date();
  const loadAverageAtStart = loadavg();
  const db = await prepareDatabase(log);
  if (!options.keepDb) cleanups.push(db.drop);
  const broker = await startBroker(options.mqttPort, log);
  cleanups.push(broker.stop);

  const population = await provision(db.url, {
    load: options.devices,
    capacity: options.capacityS > 0 ? options.devices : 0,
    alert: options.alertPatients,
  });
  log(`provisioned ${population.loadDevices.length} + ${population.capacityDevices.length} load devices, ${population.alertDevices.length} desaturating devices, 1 trend patient`);
  const trendRange = await seedTrendHistory(db.url, db.flavour, population.trendPatient, Date.now());
  log(`trend history: ${trendRange.rows.toLocaleString('en-US')} readings over 30 days and their hourly rollup`);
  await checkpoint(db.url, log);

  const backends = startBackends(options, db.url, broker.url);
  cleanups.push(() => Promise.all(backends.all.map((b) => b.stop())));
  await Promise.all(backends.all.map((b) => waitHealthy(b, 90_000)));
  log(`backend up: ${backends.all.map((b) => `${b.name} (ROLES=${b.roles}, pid ${b.proc.pid})`).join(', ')}`);
  // Consumers subscribe right after CONNACK: give the broker a moment before the first publish.
  await new Promise((r) => setTimeout(r, 1000));
  const subscription = process.env.MQTT_SHARED_SUBSCRIPTIONS === 'true' ? '$share group' : 'one plain subscription';
  const connectionsUp = await Promise.all(backends.ingest.map((b) => scrapeMetric(b, 'tm_ingest_connections_up')));
  log(`ingest MQTT connections up: ${connectionsUp.join(' + ')} (${subscription})`);

  const nurseToken = await login(backends.api.url, population.nurse);
  const common = {
    options,
    brokerUrl: broker.url,
    brokerPid: broker.process?.pid,
    databaseUrl: db.url,
    ingest: backends.ingest,
    backends: backends.all,
    api: backends.api,
    nurseToken,
    consoleExpected: existsSync(join(PROJECT_ROOT, 'dist', 'apps', 'server', 'src', 'console', 'console.gateway.js')),
    rulesExpected: existsSync(join(PROJECT_ROOT, 'dist', 'apps', 'server', 'src', 'alerts', 'rule-evaluation.service.js')),
    log,
  };
  log(`sustained phase: ${offeredReadingsPerSecond(options).toLocaleString('en-US')} readings/s offered for ${options.durationS} s`);
  const sustained = await runLoadPhase({
    ...common,
    phase: {
      loadDevices: population.loadDevices,
      samples: options.samples,
      durationS: options.durationS,
      alertDevices: population.alertDevices,
      latencyDevices: options.latencyDevices,
    },
  });
  log(`sustained phase done: ${sustained.summary.sentReadings.toLocaleString('en-US')} readings sent in ${(sustained.summary.durationMs / 1000).toFixed(1)} s`);

  let capacity: LoadPhaseResult | null = null;
  if (options.capacityS > 0) {
    const samples = Math.min(1000, Math.round(options.samples * options.capacityFactor));
    log(`capacity phase: ${(offeredReadingsPerSecond(options) * (samples / options.samples)).toLocaleString('en-US')} readings/s offered for ${options.capacityS} s`);
    capacity = await runLoadPhase({
      ...common,
      phase: { loadDevices: population.capacityDevices, samples, durationS: options.capacityS, alertDevices: [], latencyDevices: 0 },
    });
    log(`capacity phase done`);
  }

  const runDeviceIds = [...population.loadDevices, ...population.capacityDevices, ...population.alertDevices].map((d) => d.deviceId);
  const stored = await countStored(db.url, runDeviceIds);
  const trend = trendsEndpointPresent()
    ? await timeTrendQuery({ baseUrl: backends.api.url, token: nurseToken }, population.trendPatient.patientId, trendRange, options.trendRuns)
    : await timeTrendQuery({ databaseUrl: db.url }, population.trendPatient.patientId, trendRange, options.trendRuns);
  log(`trend query: median ${trend.medianMs} ms over ${trend.runs} runs (${trend.via}, ${trend.buckets} buckets)`);
  // The report stage (BENCH_REPORT_RUNS=0 skips it): last month's PDF of a patient with 30 nights of 1 Hz oximetry.
  const reportRuns = Number(process.env.BENCH_REPORT_RUNS ?? 100);
  const reports =
    reportRuns > 0
      ? await runReportStage({ databaseUrl: db.url, flavour: db.flavour, baseUrl: backends.api.url, pid: backends.api.proc.pid!, teamId: population.teamId, physician: population.physician, runs: reportRuns, log })
      : null;
  if (reports) log(`report stage: first ${reports.firstMs} ms, median ${reports.medianMs} ms of ${reports.runs}, API RSS peak ${reports.peakRssMb} MB`);
  // The thresholds what-if on the same patient's 30 days (plus a ventilator's nightly sessions), in this process.
  await seedVentilatorSessions(db.url, population.trendPatient.patientId, Date.now(), 30);
  const whatIf = await timeWhatIfReplay(db.url, population.trendPatient.patientId);
  log(formatWhatIf(whatIf));

  const ingestMetrics = await Promise.all(backends.ingest.map(async (b) => (await fetchMetrics(b.url)).text()));
  await Promise.all(backends.all.map((b) => b.stop()));
  const peakRssMbByProcess = Object.fromEntries(backends.all.map((b) => [b.name, b.peakRssMb]));
  const benchRss = readProcStatus(process.pid);
  log('backend stopped; measuring the raw insert ceiling');

  const ceiling = await measureRawCeiling(db.url, population.loadDevices, { seconds: options.ceilingS, startAt: Date.now() - 20 * 86_400_000 });
  log(`raw ceiling: ${ceiling.rowsPerSecond.toLocaleString('en-US')} rows/s`);

  const result = assemble({
    options,
    sustained,
    capacity,
    stored,
    trend,
    ceiling,
    peakRssMbByProcess,
    benchRssMb: benchRss?.hwmMb ?? null,
    ingestMetrics,
    startedAt,
    loadAverageAtStart,
    db,
    brokerUrl: broker.url,
    alertDevices: population.alertDevices,
  });
  result.details.reports = reports;
  return { ...result, whatIf };
}

function startBackends(options: BenchOptions, databaseUrl: string, brokerUrl: string): { ingest: BackendProcess[]; api: BackendProcess; all: BackendProcess[] } {
  const passed = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => PASS_THROUGH.test(k) && v !== undefined)) as Record<string, string>;
  const common = {
    DATABASE_URL: databaseUrl,
    MQTT_URL: brokerUrl,
    // The bench's own Mosquitto is anonymous and listens on loopback only: production mode runs on
    // it only when told to (docs/security.md, "Broker").
    MQTT_INSECURE: 'true',
    JWT_SECRET: randomBytes(32).toString('hex'),
    MIGRATE_ON_START: 'false',
    LOG_LEVEL: 'warn',
    // As docker-compose runs one ingest process: one plain subscription (MQTT_SHARED_SUBSCRIPTIONS=true
    // in the environment measures a $share group of INGEST_CONNECTIONS connections instead).
    MQTT_SHARED_SUBSCRIPTIONS: 'false',
    INGEST_CONNECTIONS: String(options.ingestConnections),
    INGEST_SHARE_GROUP: 'bench',
    INGEST_CLIENT_ID_PREFIX: `bench-ingest-${randomBytes(3).toString('hex')}`,
    LOGIN_RATE_LIMIT_PER_IP: '1000',
    ...passed,
  };
  // BENCH_NODE_ARGS: extra node flags for the backend processes (e.g. --heapsnapshot-signal=SIGUSR2).
  const nodeArgs = [
    ...(options.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(PROJECT_ROOT, 'bench-results', 'profiles')}`] : []),
    ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
  ];
  if (options.topology === 'single') {
    const all = startBackend('backend', { ...common, ROLES: 'api,ingest,scheduler' }, options.httpPort, nodeArgs);
    return { ingest: [all], api: all, all: [all] };
  }
  const ingest = startBackend('ingest', { ...common, ROLES: 'ingest' }, options.httpPort, nodeArgs);
  const api = startBackend('api', { ...common, ROLES: 'api,scheduler' }, options.httpPort + 1, nodeArgs);
  return { ingest: [ingest], api, all: [ingest, api] };
}

async function login(baseUrl: string, user: { username: string; password: string }): Promise<string> {
  const res = await fetch(`${baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: user.username, password: user.password }),
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { accessToken: string }).accessToken;
}

main().catch((err: unknown) => {
  log(`failed: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
});
