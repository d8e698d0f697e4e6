import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../apps/server/src/paths.js';

const SERVER_ENTRY = join(PROJECT_ROOT, 'dist', 'apps', 'server', 'src', 'main.js');

export interface BackendProcess {
  name: string;
  roles: string;
  url: string;
  proc: ChildProcess;
  output: () => string;
  /** Peak resident set (VmHWM) read at the last sample, MB. */
  peakRssMb: number;
  /** Every periodic VmRSS sample (MB). */
  rssSamples: number[];
  stop: () => Promise<void>;
}

/** The node flags of the production image (Dockerfile CMD): the V8 heap cap. */
export const PRODUCTION_NODE_ARGS = ['--max-old-space-size=384'];

/**
 * The bench's backends run with NODE_ENV=production, where /metrics needs METRICS_TOKEN and the
 * API needs PUBLIC_BASE_URL (docs/security.md "HTTP surface"): one token per bench run.
 */
const METRICS_TOKEN = `bench-${randomBytes(18).toString('base64url')}`;

/** GET /metrics of a backend, with the bench's METRICS_TOKEN. */
export function fetchMetrics(url: string): Promise<Response> {
  return fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
}

/** The backend as the product runs it: `node --max-old-space-size=384 dist/apps/server/src/main.js` with its environment. */
export function startBackend(name: string, env: Record<string, string>, port: number, nodeArgs: string[] = []): BackendProcess {
  let out = '';
  const proc = spawn(process.execPath, [...PRODUCTION_NODE_ARGS, ...nodeArgs, SERVER_ENTRY], {
    cwd: PROJECT_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      NODE_ENV: 'production',
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      METRICS_TOKEN,
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (d: Buffer) => (out = (out + d.toString('utf8')).slice(-50_000));
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const backend: BackendProcess = {
    name,
    roles: env.ROLES ?? '',
    url: `http://127.0.0.1:${port}`,
    proc,
    output: () => out,
    peakRssMb: 0,
    rssSamples: [],
    stop: async () => {
      sampleRss(backend);
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const killed = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 15_000))]);
      if (!killed) {
        proc.kill('SIGKILL');
        await exited;
      }
    },
  };
  return backend;
}

/** Waits for GET /health = 200; fails early if the process exits. */
export async function waitHealthy(b: BackendProcess, timeoutMs: number): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (b.proc.exitCode !== null || b.proc.signalCode !== null) throw new Error(`${b.name} exited before it was healthy:\n${b.output().slice(-3000)}`);
    try {
      const res = await fetch(`${b.url}/health`);
      if (res.status === 200) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${b.name} not healthy within ${timeoutMs} ms:\n${b.output().slice(-3000)}`);
}

/** Reads VmRSS and VmHWM (peak) of the process from /proc (Linux). */
export function sampleRss(b: BackendProcess): void {
  if (!b.proc.pid || b.proc.exitCode !== null) return;
  const status = readProcStatus(b.proc.pid);
  if (!status) return;
  if (status.rssMb !== undefined) b.rssSamples.push(status.rssMb);
  if (status.hwmMb !== undefined) b.peakRssMb = Math.max(b.peakRssMb, status.hwmMb);
}

export function readProcStatus(pid: number): { rssMb?: number; hwmMb?: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
      return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : undefined;
    };
    return { rssMb: kb('VmRSS'), hwmMb: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

/** The value of one series of the process's Prometheus /metrics (0 when absent). */
export async function scrapeMetric(b: BackendProcess, series: string): Promise<number> {
  const text = await (await fetchMetrics(b.url)).text();
  return metricFromText(text, series);
}

export function metricFromText(text: string, series: string): number {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return 0;
}
