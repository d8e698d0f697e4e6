// Types of clinical-alerts.js for the TypeScript unit tests (the page itself needs no build step).
export interface AlertActor {
  id: string;
  name: string;
  role?: string;
}
export interface AlertHandling {
  alertId: string;
  acknowledgedBy: AlertActor | null;
  resolvedBy: AlertActor | null;
  events: { kind: string; at: string; by: AlertActor | null; note: string | null }[];
}
export declare function collectAlertPages<T extends { id: string }>(
  fetchPage: (beforeId: string | undefined) => Promise<T[]>,
  options?: { pageSize?: number; maxPages?: number },
): Promise<{ alerts: T[]; truncated: boolean }>;
export declare function actorLabel(actor: AlertActor | null | undefined, fallbackId?: string | null): string | null;
export declare function describeHandling(
  alert: Record<string, unknown>,
  handling: AlertHandling | undefined,
  format: (iso: string) => string,
): { acknowledged: string; resolved: string; summary: string; notes: string[] };
