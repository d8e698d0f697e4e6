// Types of evidence-chart.js for the TypeScript unit tests (the page itself needs no build step).
export interface EvidenceLike {
  window: { from: string; to: string };
  samples: { at?: string; value?: number }[];
  statistic?: { threshold: number | null; unit?: string };
  parameters: Record<string, unknown> | null;
}
export declare function describeParameters(evidence: EvidenceLike): string;
export declare function evidenceGeometry(
  evidence: EvidenceLike,
  opts?: { width?: number; height?: number; pad?: { left: number; right: number; top: number; bottom: number } },
): {
  width: number;
  height: number;
  lo: number;
  hi: number;
  dots: { cx: number; cy: number }[];
  limit: { y: number; x1: number; x2: number } | null;
  yLabel: (v: number) => number;
};
export declare function renderEvidence(container: unknown, evidence: unknown): void;
