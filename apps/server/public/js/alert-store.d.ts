// Types of alert-store.js for the TypeScript unit tests (the page itself needs no build step).
import type { ConsoleAlert, SyncResult } from '../../src/console/console-events.js';
import type { AlertView } from '#domain';

export declare const SEVERITY_RANK: Record<'critical' | 'warning' | 'info', number>;
export declare function compareIds(x: string, y: string): number;
export interface ApplyResult {
  change: 'new' | 'updated' | 'same' | 'stale';
  alert: ConsoleAlert;
  previous: ConsoleAlert | undefined;
}
export declare class AlertStore {
  alerts: Map<string, ConsoleAlert>;
  lastEventId: string | null;
  apply(alert: ConsoleAlert): ApplyResult;
  applyAnswer(view: AlertView): ConsoleAlert | undefined;
  applySync(result: SyncResult): ApplyResult[];
  active(): ConsoleAlert[];
  resolved(limit?: number): ConsoleAlert[];
}
export declare function isNewCritical(result: ApplyResult): boolean;
