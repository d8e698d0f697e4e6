import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '../common/app-error.js';
import type { AppConfig } from '../config/app-config.js';

/**
 * Who may scrape /metrics (issue 21 §4). The metrics name no patient but tell an attacker the
 * load, the versions and the error rates:
 * - METRICS_TOKEN set: `Authorization: Bearer <METRICS_TOKEN>` required, in any environment
 *   (401 UNAUTHENTICATED otherwise);
 * - unset, NODE_ENV=production: 404 NOT_FOUND, as if there were no such route (a production
 *   without a token set has not chosen to expose them);
 * - unset otherwise (demo, development, tests, the bench's own processes): open, as before.
 */
export function checkMetricsAccess(exposure: Pick<AppConfig['exposure'], 'production' | 'metricsToken'>, authorization: string | undefined): void {
  if (exposure.metricsToken === undefined) {
    if (exposure.production) throw AppError.notFound('route');
    return;
  }
  const presented = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
  if (presented === undefined || !sameSecret(presented, exposure.metricsToken)) {
    throw new AppError('UNAUTHENTICATED', 'the metrics token (Authorization: Bearer <METRICS_TOKEN>) is required');
  }
}

/** Constant-time comparison of two strings of any lengths (digests have one length). */
function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}
