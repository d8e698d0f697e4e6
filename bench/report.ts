import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** The JSON of bench-results/latest.json: the issue's keys first, details after. */
export interface BenchResult {
  /** The thresholds what-if stage (bench/whatif-replay.ts), when it ran. */
  whatIf?: import('./whatif-replay.js').WhatIfTiming;
  readingsPerSecond: number;
  lost: number;
  duplicates: number;
  storeLatencyP50Ms: number | null;
  storeLatencyP99Ms: number | null;
  alertLatencyP50Ms: number | null;
  alertLatencyP99Ms: number | null;
  /** Highest peak RSS of the backend processes (per process in peakRssMbByProcess). */
  peakRssMb: number;
  peakRssMbByProcess: Record<string, number>;
  rawCeilingReadingsPerSecond: number;
  ratioToRaw: number;
  trendQueryMs: number;
  machine: Machine;
  /** What each figure means and how it was measured, in words (also in docs/performance.md). */
  method: Record<string, string>;
  targets: Array<{ name: string; target: string; value: string; pass: boolean | null }>;
  smoke: boolean;
  details: Record<string, unknown>;
  startedAt: string;
  finishedAt: string;
}

export interface Machine {
  cores: number;
  memory: string;
  memoryMb: number;
  cpuModel: string;
  loadAverageAtStart: number[];
  loadAverageAtEnd: number[];
  node: string;
  postgres: string;
  broker: string;
}

export async function writeResult(path: string, result: BenchResult): Promise<string> {
  const file = resolve(path);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

const fmt = (v: number | null, unit = '') => (v === null || Number.isNaN(v) ? 'n/a' : `${v.toLocaleString('en-US')}${unit}`);

/** The table printed on stdout. */
export function formatTable(r: BenchResult): string {
  const d = r.details as {
    offeredReadingsPerSecond?: number;
    alertChannel?: string;
    trendVia?: string;
    drainSeconds?: number;
    cpuMicrosecondsPerReading?: Record<string, number | null>;
    capacity?: { offeredReadingsPerSecond: number | null; storedReadingsPerSecond: number | null; saturated: boolean } | null;
    reports?: { firstMs: number; medianMs: number; runs: number; peakRssMb: number } | null;
  };
  const rows: Array<[string, string, string]> = [
    ['readings stored per second (sustained)', fmt(r.readingsPerSecond), `offered ${fmt(d.offeredReadingsPerSecond ?? null)}/s, backlog drained in ${fmt(d.drainSeconds ?? null)} s`],
    ...(d.capacity
      ? [
          [
            'capacity (saturated store rate)',
            fmt(d.capacity.storedReadingsPerSecond),
            `offered ${fmt(d.capacity.offeredReadingsPerSecond)}/s${d.capacity.saturated ? '' : ' (not saturated: a lower bound)'}`,
          ] as [string, string, string],
        ]
      : []),
    ['lost readings (sent - stored)', fmt(r.lost), ''],
    ['duplicate readings', fmt(r.duplicates), ''],
    ['store latency p50 / p99', `${fmt(r.storeLatencyP50Ms, ' ms')} / ${fmt(r.storeLatencyP99Ms, ' ms')}`, 'device publish -> row visible to a reader'],
    [
      d.alertChannel === 'console' ? 'alert latency p50 / p99' : 'alert latency to commit p50 / p99',
      `${fmt(r.alertLatencyP50Ms, ' ms')} / ${fmt(r.alertLatencyP99Ms, ' ms')}`,
      d.alertChannel === 'console' ? 'publish -> alert.raised at the console' : 'console not available: publish -> alert row seen',
    ],
    ...Object.entries(r.peakRssMbByProcess).map(([name, mb]): [string, string, string] => [`peak RSS ${name}`, fmt(mb, ' MB'), '']),
    ['raw insert ceiling', fmt(r.rawCeilingReadingsPerSecond), 'rows/s, plain unnest inserts, 2 connections x 5000 rows'],
    ['ratio to raw', fmt(r.ratioToRaw), 'higher of the sustained rate and the capacity / raw ceiling'],
    ['trend query (30 d, 1 h buckets), median', fmt(r.trendQueryMs, ' ms'), d.trendVia === 'http' ? 'GET /api/patients/:id/trends' : 'SQL of the endpoint (endpoint not built)'],
    ...(d.reports
      ? ([
          ['monthly report PDF, first', fmt(d.reports.firstMs, ' ms'), '30 nights of 1 Hz oximetry + ventilator sessions, GET …/reports/monthly.pdf'],
          [`monthly report PDF, median of ${d.reports.runs}`, fmt(d.reports.medianMs, ' ms'), `one after the other; API process RSS peak ${d.reports.peakRssMb} MB`],
        ] as Array<[string, string, string]>)
      : []),
  ];
  const w0 = Math.max(...rows.map((x) => x[0].length));
  const w1 = Math.max(...rows.map((x) => x[1].length));
  const lines = rows.map(([a, b, c]) => `${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`);
  const targets = r.targets.map((t) => `  [${t.pass === null ? ' ? ' : t.pass ? 'ok ' : 'MISS'}] ${t.name}: ${t.value} (target ${t.target})`);
  const m = r.machine;
  const cpu = Object.entries(d.cpuMicrosecondsPerReading ?? {}).filter(([, v]) => v !== null) as Array<[string, number]>;
  const total = cpu.reduce((sum, [, v]) => sum + v, 0);
  const cpuLine = cpu.length
    ? `CPU per reading: ${cpu.map(([k, v]) => `${k} ${v} µs`).join(', ')} = ${Math.round(total * 10) / 10} µs ` +
      `(all of ${m.cores} idle cores would carry ~${Math.round((m.cores * 1e6) / total).toLocaleString('en-US')} readings/s)`
    : '';
  return [
    `${r.smoke ? 'SMOKE RUN (shorter than 60 s: not a reportable figure)\n' : ''}`,
    ...lines,
    cpuLine,
    '',
    'targets:',
    ...targets,
    '',
    `machine: ${m.cores} cores (${m.cpuModel}), ${m.memory}, load average ${m.loadAverageAtStart.map((x) => x.toFixed(1)).join(' ')} at start, node ${m.node}, ${m.postgres}, ${m.broker}`,
  ].join('\n');
}
