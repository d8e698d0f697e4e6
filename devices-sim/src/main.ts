import { writeFile } from 'node:fs/promises';
import type { DeviceKind } from '#domain';
import { readingsTopic } from '#protocol';
import { runBadInput } from './bad-input/bad-input-runner.js';
import { HELP, num, parse, type CliValues } from './cli/args.js';
import { eventTime } from './generators/device-stream.js';
import { DAY_MS } from './generators/night-plan.js';
import { hashSeed } from './generators/prng.js';
import { formatLoadProgress, formatLoadSummary, runLoad } from './load/load-runner.js';
import { DEFAULT_CREDENTIALS_PATH, readCredentials, writeCredentials, type SimCredentials } from './provisioning/credentials-store.js';
import { provision } from './provisioning/provisioner.js';
import { RestClient } from './provisioning/rest-client.js';
import { MAX_HISTORY_MS, runSimulation, simulationStreams, type SimulatedPatient } from './run/simulation.js';
import { assignScenarios, devicesFor, isScenarioId, SCENARIO_IDS, SCENARIOS, type PatientPlan } from './scenarios/scenario-catalogue.js';

const LOAD_CREDENTIALS_PATH = '.data/sim-load-credentials.json';
const err = (line: string) => process.stderr.write(`${line}\n`);

async function main(argv: string[]): Promise<number> {
  let values: CliValues;
  try {
    values = parse(argv).values;
  } catch (e) {
    err(`${(e as Error).message}\nSee npm run sim -- --help`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values['list-scenarios']) {
    listScenarios();
    return 0;
  }
  const controller = new AbortController();
  process.once('SIGINT', () => {
    err('stopping (Ctrl-C again to quit at once)…');
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  const log = values.quiet ? undefined : err;
  if (values.load) return loadMode(values, controller.signal, log);
  if (values['bad-input']) return badInputMode(values, log);
  return scenarioMode(values, controller.signal, log);
}

function mqttUrl(v: CliValues): string {
  return v['mqtt-url'] ?? process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';
}

function apiUrl(v: CliValues): string {
  return v['api-url'] ?? process.env.SIM_API_URL ?? 'http://127.0.0.1:3000';
}

function admin(v: CliValues) {
  return {
    adminToken: v['admin-token'],
    adminUsername: v['admin-user'] ?? process.env.SIM_ADMIN_USERNAME ?? process.env.BOOTSTRAP_ADMIN_USERNAME,
    adminPassword: v['admin-password'] ?? process.env.SIM_ADMIN_PASSWORD ?? process.env.BOOTSTRAP_ADMIN_PASSWORD,
  };
}

async function writeJson(target: string | undefined, doc: unknown): Promise<void> {
  if (!target) return;
  const text = `${JSON.stringify(doc, null, 2)}\n`;
  if (target === '-') process.stdout.write(text);
  else await writeFile(target, text);
}

/** Credentials for `plans`: provisioned now (--provision) or read from the file, which must cover them. */
async function credentialsFor(v: CliValues, plans: PatientPlan[], path: string, log?: (m: string) => void, kinds?: DeviceKind[]): Promise<SimCredentials> {
  const existing = await readCredentials(path);
  if (v.provision) {
    const creds = await provision({ apiUrl: apiUrl(v), ...admin(v), plans, existing, kinds, log });
    await writeCredentials(path, creds);
    log?.(`credentials written to ${path}`);
    return creds;
  }
  if (!existing) throw new Error(`no credentials file at ${path}: run once with --provision (admin credentials) to register the simulated devices`);
  for (const plan of plans) {
    const p = existing.patients.find((x) => x.index === plan.index);
    if (!p || p.scenario !== plan.scenario || p.profile !== plan.profile) {
      throw new Error(`${path} has no patient ${plan.index} with scenario ${plan.scenario}: run with --provision to register it`);
    }
  }
  return existing;
}

async function scenarioMode(v: CliValues, signal: AbortSignal, log?: (m: string) => void): Promise<number> {
  const scenario = v.scenario ?? 'mixed';
  if (scenario !== 'mixed' && !isScenarioId(scenario)) throw new Error(`unknown scenario ${scenario} (see --list-scenarios)`);
  const count = num(v.patients, 'patients', 10, { min: 1, max: 100_000, integer: true });
  const seed = num(v.seed, 'seed', 1, { integer: true });
  const plans = assignScenarios(count, scenario);
  const autoDays = Math.max(0, ...plans.map((p) => (SCENARIOS[p.scenario].historyNights > 0 ? SCENARIOS[p.scenario].historyNights + 1 : 0)));
  const historyDays = v['history-days'] === undefined || v['history-days'] === 'auto' ? autoDays : num(v['history-days'], 'history-days', 0, { min: 0, max: MAX_HISTORY_MS / DAY_MS });
  const dry = v['dry-run'] ?? false;
  const durationS = v.duration === undefined ? (dry ? 60 : undefined) : num(v.duration, 'duration', 0, { min: 0 });
  const common = {
    now: Date.now(),
    historyMs: historyDays * DAY_MS,
    durationMs: durationS === undefined ? undefined : durationS * 1000,
    eventInMs: num(v['event-in'], 'event-in', 30) * 1000,
    eventSpacingMs: num(v['event-spacing'], 'event-spacing', 15, { min: 0 }) * 1000,
    tuning: {
      batchMs: num(v['batch-seconds'], 'batch-seconds', 5, { min: 1, max: 1000 }) * 1000,
      historySampleIntervalMs: num(v['history-interval'], 'history-interval', 30, { min: 1, max: 120 }) * 1000,
    },
    maxInflight: num(v['max-inflight'], 'max-inflight', 20, { min: 1, integer: true }),
  };
  const offlineMs = num(v['offline-minutes'], 'offline-minutes', 480, { min: 1 }) * 60_000;
  const patientOf = (plan: PatientPlan, devices: SimulatedPatient['devices']): SimulatedPatient => ({
    scenario: plan.scenario,
    profile: plan.profile,
    seed: hashSeed(seed, plan.index),
    devices,
    offlineMs,
  });
  log?.(`${count} patient(s), scenario ${scenario}, ${historyDays} day(s) of history, seed ${seed}`);
  if (common.durationMs !== undefined && common.eventInMs >= common.durationMs && plans.some((p) => SCENARIOS[p.scenario].episode || SCENARIOS[p.scenario].delivery.kind !== 'normal')) {
    log?.(`note: events happen ${common.eventInMs / 1000} s after the start, after the ${common.durationMs / 1000} s run ends (see --event-in)`);
  }

  if (dry) {
    const patients = plans.map((p) => patientOf(p, devicesFor(p).map((kind) => ({ deviceId: `DRY-${kind === 'oximeter' ? 'OX' : kind === 'concentrator' ? 'OC' : 'VE'}-${String(p.index).padStart(4, '0')}`, kind }))));
    for (const { device, events } of simulationStreams({ ...common, patients })) {
      for (const e of events) {
        const line = e.type === 'publish' ? { deviceId: device.deviceId, topic: readingsTopic(device.deviceId), sendAt: new Date(e.sendAt).toISOString(), payload: e.payload } : { deviceId: device.deviceId, event: e.type, at: new Date(eventTime(e)).toISOString() };
        process.stdout.write(`${JSON.stringify(line)}\n`);
      }
    }
    return 0;
  }

  const creds = await credentialsFor(v, plans, v.credentials ?? DEFAULT_CREDENTIALS_PATH, log);
  const patients = plans.map((plan) => {
    const p = creds.patients.find((x) => x.index === plan.index)!;
    return patientOf(plan, p.devices.map(({ deviceId, secret, kind }) => ({ deviceId, secret, kind })));
  });
  const summary = await runSimulation({
    ...common,
    mqttUrl: mqttUrl(v),
    patients,
    signal,
    log,
    onProgress: log
      ? (p) => log(`[${Math.round(p.elapsedMs / 1000).toString().padStart(5)} s] ${p.connected} connected | sent ${p.sent} msgs (${p.samples} samples, ${p.sessions} sessions) | acked ${p.acknowledged} | pending ${p.pending} | ack p50 ${p.ackLatencyMs.p50 ?? '–'} ms`)
      : undefined,
  });
  process.stdout.write(
    `scenario run: ${summary.connected}/${summary.devices} devices | sent ${summary.sent} (${summary.samples} samples, ${summary.sessions} sessions) | acknowledged ${summary.acknowledged} | failed ${summary.failed} | ack p50 ${summary.ackLatencyMs.p50 ?? '–'} ms p99 ${summary.ackLatencyMs.p99 ?? '–'} ms\n`,
  );
  for (const e of summary.errors.slice(0, 10)) err(`error: ${e}`);
  await writeJson(v.json, summary);
  return summary.errors.length > 0 ? 1 : 0;
}

async function loadMode(v: CliValues, signal: AbortSignal, log?: (m: string) => void): Promise<number> {
  const n = num(v.devices, 'devices', 100, { min: 1, max: 100_000, integer: true });
  let devices: Array<{ deviceId: string; secret?: string }>;
  if (v.unregistered) {
    const tag = Date.now().toString(36);
    devices = Array.from({ length: n }, (_, i) => ({ deviceId: `LOAD-${tag}-${String(i).padStart(5, '0')}` }));
  } else {
    const plans = assignScenarios(n, 'stable');
    const creds = await credentialsFor(v, plans, v.credentials ?? LOAD_CREDENTIALS_PATH, log, ['oximeter']);
    devices = creds.patients.flatMap((p) => p.devices.filter((d) => d.kind === 'oximeter')).slice(0, n);
    if (devices.length < n) throw new Error(`only ${devices.length} registered oximeters: run with --provision`);
  }
  const summary = await runLoad({
    mqttUrl: mqttUrl(v),
    devices,
    ratePerDevice: num(v.rate, 'rate', 1, { min: 0.001 }),
    samplesPerMessage: num(v['samples-per-message'], 'samples-per-message', 5, { min: 1, max: 1000, integer: true }),
    durationMs: num(v.duration, 'duration', 30, { min: 1 }) * 1000,
    maxInflightPerDevice: num(v['max-inflight'], 'max-inflight', 100, { min: 1, integer: true }),
    seed: num(v.seed, 'seed', 1, { integer: true }),
    signal,
    log,
    onProgress: log ? (p) => log(formatLoadProgress(p)) : undefined,
  });
  process.stdout.write(`${formatLoadSummary(summary)}\n`);
  await writeJson(v.json, summary);
  return summary.connected === 0 ? 1 : 0;
}

async function badInputMode(v: CliValues, log?: (m: string) => void): Promise<number> {
  let deviceId = v['device-id'];
  let secret = v.secret;
  if (!deviceId) {
    const creds = await readCredentials(v.credentials ?? DEFAULT_CREDENTIALS_PATH);
    const first = creds?.patients[0]?.devices[0];
    if (!first) throw new Error('bad-input mode needs a registered device: --device-id and --secret, or a credentials file (--provision)');
    ({ deviceId, secret } = first);
  }
  let verify: { apiUrl: string; token: string } | undefined;
  if (v.verify) {
    const a = admin(v);
    const api = new RestClient(apiUrl(v), a.adminToken);
    if (!api.hasToken) {
      if (!a.adminUsername || !a.adminPassword) throw new Error('--verify needs --admin-token, or --admin-user and --admin-password');
      await api.login(a.adminUsername, a.adminPassword);
    }
    verify = { apiUrl: apiUrl(v), token: api.accessToken! };
  }
  const report = await runBadInput({ mqttUrl: mqttUrl(v), deviceId, secret, verify, log });
  process.stdout.write(`bad input from ${deviceId}:\n`);
  for (const c of report.cases) {
    const mark = c.recorded === undefined ? '' : c.recorded ? '  recorded ✓' : '  NOT RECORDED ✗';
    process.stdout.write(`  ${c.id.padEnd(28)} ${c.expectedReason.padEnd(20)} ${c.scope.padEnd(7)} ${c.description}${mark}\n`);
  }
  await writeJson(v.json, report);
  return report.verified && !report.verified.ok ? 1 : 0;
}

function listScenarios(): void {
  process.stdout.write('scenario                 profile      devices              history  trips\n');
  for (const id of SCENARIO_IDS) {
    const s = SCENARIOS[id];
    process.stdout.write(
      `${id.padEnd(24)} ${s.profile.padEnd(12)} ${s.devices.join('+').padEnd(20)} ${String(s.historyNights).padStart(3)} n   ${s.expectedRules.join(', ') || '(none)'}\n    ${s.title}\n`,
    );
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    err(`error: ${(e as Error).message}`);
    process.exit(1);
  },
);
