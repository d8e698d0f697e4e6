// Types of clinical-charts.js for the TypeScript unit tests (the page itself needs no build step).
export interface ChartBucket {
  start: string;
  min: number;
  avg: number;
  max: number;
  count: number;
}
export interface ChartGeometry {
  lo: number;
  hi: number;
  line: string;
  band: string;
  target: { y1: number; y2: number } | null;
  yTicks: { v: number; y: number }[];
  xTicks: { t: number; x: number }[];
  plot: { x: number; y: number; w: number; h: number };
}
export declare function dayTicks(fromMs: number, toMs: number, maxTicks?: number): number[];
export declare function chartGeometry(
  buckets: ChartBucket[],
  opts: {
    fromMs: number;
    toMs: number;
    bucketMs: number;
    width: number;
    height: number;
    pad: { left: number; right: number; top: number; bottom: number };
    yDomain: [number, number];
    target?: { low: number | null; high: number | null } | null;
  },
): ChartGeometry;
export interface ChartBand {
  low: number | null;
  high: number | null;
  source: 'thresholds' | 'profile' | 'reference';
}
export declare function bandFor(metric: string, thresholds: unknown, profile?: string): ChartBand | null;
export declare function bandLabel(target: ChartBand | null, unit: string): string;
export declare function targetFor(metric: string, profile: string | undefined): { low: number; high: number } | null;
export declare function bucketFor(days: number): { bucket: string; bucketMs: number };
export declare const CHART_METRICS: { metric: string; title: string; unit: string; yDomain: [number, number] }[];
export declare function renderTrendChart(container: unknown, options: Record<string, unknown>): void;
