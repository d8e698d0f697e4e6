// Types of clinical-whatif.js for the TypeScript unit tests (the page itself needs no build step).
export interface PreviewLike {
  from: string;
  to: string;
  days: number;
  current: Record<string, number>;
  proposed: Record<string, number>;
  alerts?: { current: { rule: string; raisedAt: string }[]; proposed: { rule: string; raisedAt: string }[] };
  labels?: Record<string, string>;
}
export declare function previewSummary(preview: PreviewLike): string;
export declare function previewDifferences(preview: PreviewLike): string[];
export declare function timelineGeometry(
  preview: PreviewLike,
  opts?: { width?: number; rowHeight?: number; pad?: { left: number; right: number; top: number; bottom: number } },
): { width: number; height: number; rows: { key: string; label: string; y: number; ticks: { x: number }[] }[] };
export declare function renderWhatIf(container: unknown, preview: unknown): void;
