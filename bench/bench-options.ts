/**
 * Options of `npm run bench`, from the command line (`--name=value`) or the environment
 * (`BENCH_NAME=value`, upper snake case); the command line wins. Every option has a default that
 * fits the 2-core development machine and keeps the whole run under 10 minutes.
 */
export interface BenchOptions {
  /** Seconds of load (at least 60 for a reportable figure; shorter runs are marked "smoke"). */
  durationS: number;
  /** Simulated devices publishing readings (one MQTT connection each). */
  devices: number;
  /** Messages per second per device. */
  rate: number;
  /** Samples per message (3 readings each: SpO2, pulse rate, perfusion index). */
  samples: number;
  /**
   * Spacing of a device's samples, ms. 1000 (default): 1 Hz like a real oximeter, each connection
   * uploading on a clock that runs samples × rate times faster than the wall clock. 0: the
   * simulator's default (samples spread over each second, the newest at the publish time).
   */
  sampleIntervalMs: number;
  /** Devices whose rows a poller watches for the store latency. */
  latencyDevices: number;
  /** Patients whose oximeter desaturates during the load (one spo2.critical alert each). */
  alertPatients: number;
  /**
   * Seconds of the capacity phase (0: none): after the sustained phase, other devices offer
   * `capacityFactor` times the load, to measure what the product stores when saturated (the
   * figure compared with the raw ceiling).
   */
  capacityS: number;
  capacityFactor: number;
  /** Seconds of the raw insert ceiling measurement. */
  ceilingS: number;
  /** Timed trend queries (the median is reported). */
  trendRuns: number;
  /** `split`: one ingest process and one api+scheduler process; `single`: one process, every role. */
  topology: 'split' | 'single';
  /** Ingest MQTT connections (INGEST_CONNECTIONS of the ingest process). */
  ingestConnections: number;
  /** Upper bound on the wait for the backlog to be stored after the load. */
  drainTimeoutS: number;
  /** Keep the benchmark database afterwards (default: dropped when the bench created it). */
  keepDb: boolean;
  /** Write a V8 CPU profile of each backend process into bench-results/profiles/ (slows the backend). */
  profile: boolean;
  /** Where the JSON goes. */
  output: string;
  /** First port of the ranges the bench may use (MQTT, HTTP). */
  mqttPort: number;
  httpPort: number;
}

const DEFAULTS: BenchOptions = {
  durationS: 60,
  devices: 200,
  rate: 1,
  samples: 110,
  sampleIntervalMs: 1000,
  latencyDevices: 20,
  alertPatients: 40,
  capacityS: 30,
  capacityFactor: 2,
  ceilingS: 15,
  trendRuns: 20,
  topology: 'split',
  ingestConnections: 4,
  drainTimeoutS: 90,
  keepDb: false,
  profile: false,
  output: 'bench-results/latest.json',
  mqttPort: 18920,
  httpPort: 13920,
};

const NUMERIC: Array<keyof BenchOptions> = [
  'durationS',
  'devices',
  'rate',
  'samples',
  'sampleIntervalMs',
  'latencyDevices',
  'alertPatients',
  'capacityS',
  'capacityFactor',
  'ceilingS',
  'trendRuns',
  'ingestConnections',
  'drainTimeoutS',
  'mqttPort',
  'httpPort',
];

/** `durationS` ⇄ `--duration-s` / `BENCH_DURATION_S`; `--duration` is accepted for `durationS` too. */
const ALIASES: Record<string, keyof BenchOptions> = { duration: 'durationS', ceiling: 'ceilingS', capacity: 'capacityS', 'drain-timeout': 'drainTimeoutS' };

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export function parseBenchOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  const raw = new Map<keyof BenchOptions, string>();
  for (const key of Object.keys(DEFAULTS) as Array<keyof BenchOptions>) {
    const value = env[`BENCH_${kebab(key).replace(/-/g, '_').toUpperCase()}`];
    if (value !== undefined && value !== '') raw.set(key, value);
  }
  for (const arg of argv) {
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new Error(`unknown argument ${arg} (options are --name=value, see docs/performance.md)`);
    const name = m[1]!;
    const key = ALIASES[name] ?? (Object.keys(DEFAULTS) as Array<keyof BenchOptions>).find((k) => kebab(k) === name);
    if (!key) throw new Error(`unknown option --${name}`);
    raw.set(key, m[2] ?? 'true');
  }
  const options: BenchOptions = { ...DEFAULTS };
  for (const [key, value] of raw) {
    if (NUMERIC.includes(key)) {
      const n = Number(value);
      if (!Number.isFinite(n) || n < 0) throw new Error(`--${kebab(key)} must be a non-negative number`);
      (options as unknown as Record<string, number>)[key] = n;
    } else if (key === 'keepDb' || key === 'profile') {
      options[key] = value === 'true' || value === '1';
    } else if (key === 'topology') {
      if (value !== 'split' && value !== 'single') throw new Error('--topology must be split or single');
      options.topology = value;
    } else {
      (options as unknown as Record<string, string>)[key] = value;
    }
  }
  if (options.devices < 1 || options.samples < 1 || options.samples > 1000 || options.rate <= 0) {
    throw new Error('need at least 1 device, 1–1000 samples per message and a positive rate');
  }
  options.latencyDevices = Math.min(options.latencyDevices, options.devices);
  return options;
}

/** Offered load in readings per second. */
export function offeredReadingsPerSecond(o: BenchOptions): number {
  return o.devices * o.rate * o.samples * READINGS_PER_SAMPLE;
}

/** SpO2, pulse rate and perfusion index: what the load's oximeter samples carry. */
export const READINGS_PER_SAMPLE = 3;
