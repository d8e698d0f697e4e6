// Jest loads its global setup as CommonJS, outside the ESM test runtime: this file recreates
// the test database (migrations are applied by migrate-once.ts inside the runtime) and builds
// dist/ once, for the tests that run the product as real child processes (kill -9, restarts,
// several instances). TEST_SKIP_BUILD=1 skips the build when dist/ is known to be fresh.
// It also starts one Mosquitto per Jest worker (test-env.ts picks the worker's own), unless
// TEST_MQTT_URL names a broker; global-teardown.cjs stops them.
const pg = require('pg');
const { execFileSync, spawn } = require('node:child_process');
const { mkdtempSync, readFileSync, writeFileSync } = require('node:fs');
const { connect } = require('node:net');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

/** The workers' brokers take the first free ports from here (a leftover of a killed run is skipped). */
const WORKER_BROKER_PORTS = { from: 18961, to: 18999 };
const MAX_WORKER_BROKERS = 8;

function portOpen(port) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

async function startWorkerBrokers(count) {
  const template = readFileSync(join(__dirname, '..', 'fixtures', 'mosquitto-worker.conf'), 'utf8');
  const dir = mkdtempSync(join(tmpdir(), 'tm-test-brokers-'));
  const brokers = [];
  let port = WORKER_BROKER_PORTS.from - 1;
  for (let worker = 1; worker <= count; worker++) {
    do port++;
    while (port <= WORKER_BROKER_PORTS.to && (await portOpen(port)));
    if (port > WORKER_BROKER_PORTS.to) throw new Error(`no free port for the test brokers in ${WORKER_BROKER_PORTS.from}-${WORKER_BROKER_PORTS.to}`);
    const conf = join(dir, `worker-${worker}.conf`);
    writeFileSync(conf, `${template}\nlistener ${port} 127.0.0.1\n`);
    const child = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
    child.on('error', (err) => console.error(`mosquitto for worker ${worker} did not start: ${err.message}`));
    brokers.push({ child, port });
  }
  for (const { port } of brokers) {
    const deadline = Date.now() + 10000;
    while (!(await portOpen(port))) {
      if (Date.now() > deadline) throw new Error(`mosquitto on port ${port} did not start`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return brokers;
}

module.exports = async function globalSetup(globalConfig) {
  const adminUrl = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = process.env.TEST_DB_NAME ?? 'tm_test';
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error('TEST_DB_NAME must be [a-z0-9_]+');
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  if (process.env.TEST_SKIP_BUILD !== '1') {
    const root = join(__dirname, '..', '..');
    execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
      cwd: root,
      stdio: 'inherit',
    });
  }
  if (!process.env.TEST_MQTT_URL) {
    const count = Math.min(Math.max(globalConfig.maxWorkers || 1, 1), MAX_WORKER_BROKERS);
    globalThis.__TM_TEST_BROKERS__ = await startWorkerBrokers(count);
    // Workers are forked after this setup and inherit it.
    process.env.TEST_WORKER_BROKER_PORTS = globalThis.__TM_TEST_BROKERS__.map((b) => b.port).join(',');
  }
};
