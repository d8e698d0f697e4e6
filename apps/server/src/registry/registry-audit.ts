import type { AuditEntry } from '../audit/audit.service.js';
import type { Principal } from '../auth/principal.js';

/** The audit log's "who" for a request. */
export function actorOf(principal: Principal): NonNullable<AuditEntry['actor']> {
  return { userId: principal.userId, role: principal.role, ip: principal.ip };
}
