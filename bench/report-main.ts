import { randomBytes } from 'node:crypto';
import { startBackend, waitHealthy } from './backend.js';
import { prepareDatabase, startBroker } from './infra.js';
import { provision } from './provision.js';
import { runReportStage } from './report-stage.js';

/**
 * `npm run bench:reports`: the report stage alone (bench/report-stage.ts) on its own database,
 * broker and one API process. BENCH_REPORT_RUNS (default 100), BENCH_REPORT_HTTP_PORT (3990),
 * BENCH_REPORT_MQTT_PORT (18990); DATABASE_URL to use an existing, migrated database.
 */
const started = Date.now();
const log = (m: string) => process.stderr.write(`[bench:reports ${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${m}\n`);

async function main(): Promise<void> {
  const httpPort = Number(process.env.BENCH_REPORT_HTTP_PORT ?? 3990);
  const db = await prepareDatabase(log);
  const broker = await startBroker(Number(process.env.BENCH_REPORT_MQTT_PORT ?? 18990), log);
  let stopBackend = async (): Promise<unknown> => undefined;
  try {
    const population = await provision(db.url, { load: 0, capacity: 0, alert: 0 });
    const b = startBackend(
      'api',
      {
        NODE_ENV: 'production',
        PUBLIC_BASE_URL: `http://127.0.0.1:${httpPort}`,
        DATABASE_URL: db.url,
        MQTT_URL: broker.url,
        MQTT_INSECURE: 'true',
        JWT_SECRET: randomBytes(32).toString('hex'),
        MIGRATE_ON_START: 'false',
        LOG_LEVEL: 'warn',
        ROLES: 'api',
        LOGIN_RATE_LIMIT_PER_IP: '1000',
      },
      httpPort,
    );
    stopBackend = () => b.stop();
    await waitHealthy(b, 90_000);
    const result = await runReportStage({
      databaseUrl: db.url,
      flavour: db.flavour,
      baseUrl: b.url,
      pid: b.proc.pid!,
      teamId: population.teamId,
      physician: population.physician,
      runs: Number(process.env.BENCH_REPORT_RUNS ?? 100),
      log,
    });
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await stopBackend();
    await broker.stop();
    await db.drop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
