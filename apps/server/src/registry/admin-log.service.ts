import { Injectable } from '@nestjs/common';
import { AuditService, actorOf } from '../audit/audit.service.js';
import type { Principal } from '../auth/principal.js';
import { AdminLogRepository } from './admin-log.repository.js';
import { DEFAULT_PAGE, type AuditEntryView, type AuditQueryDto, type RejectionsQueryDto, type RejectionView } from './admin-query.dto.js';
import { AppError } from '../common/app-error.js';

/** The admin's view of the audit log and of rejected device input. Reading either is itself audited. */
@Injectable()
export class AdminLogService {
  constructor(
    private readonly logs: AdminLogRepository,
    private readonly audit: AuditService,
  ) {}

  async auditEntries(principal: Principal, q: AuditQueryDto): Promise<AuditEntryView[]> {
    const rows = await this.logs.audit({
      patientId: q.patientId,
      actorId: q.actorId,
      action: q.action,
      since: parseSince(q.since),
      beforeId: q.beforeId,
      limit: q.limit ?? DEFAULT_PAGE,
    });
    await this.audit.recordRead({
      action: 'audit.read',
      actor: actorOf(principal),
      patientId: q.patientId ?? null,
      details: { ...q, count: rows.length },
    });
    return rows;
  }

  async rejections(principal: Principal, q: RejectionsQueryDto): Promise<RejectionView[]> {
    const rows = await this.logs.rejections({
      deviceId: q.deviceId,
      since: parseSince(q.since),
      limit: q.limit ?? DEFAULT_PAGE,
    });
    await this.audit.recordRead({ action: 'rejection.read', actor: actorOf(principal), details: { ...q, count: rows.length } });
    return rows;
  }
}

/** `since` passed the ISO-8601 check; some ISO forms (week dates, ordinal dates) are still no instant for Date. */
function parseSince(since: string | undefined): Date | undefined {
  if (since === undefined) return undefined;
  const at = new Date(since);
  if (Number.isNaN(at.getTime())) throw AppError.validation('since must be an ISO-8601 date-time', { fields: ['since'] });
  return at;
}
