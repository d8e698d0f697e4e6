import { Injectable } from '@nestjs/common';
import { isUuid, PatientAccessService, type VisiblePatient } from '../access/patient-access.service.js';
import { AuditService } from '../audit/audit.service.js';
import type { Principal } from '../auth/principal.js';
import { AppError } from '../common/app-error.js';

/**
 * The access gate plus the audit trail for reads of one patient's data (REST and FHIR alike):
 * a patient outside the caller's care teams is a 404 (and an audited denied attempt); a read that
 * was served is audited with its parameters (never values).
 */
@Injectable()
export class PatientReadGate {
  constructor(
    private readonly access: PatientAccessService,
    private readonly audit: AuditService,
  ) {}

  async open(principal: Principal, patientId: string, action: string, details?: Record<string, unknown>): Promise<VisiblePatient> {
    try {
      return await this.access.requireVisible(principal, patientId);
    } catch (err) {
      if (err instanceof AppError && err.code === 'NOT_FOUND' && isUuid(patientId)) {
        await this.audit.record({ action, actor: actorOf(principal), patientId, outcome: 'denied', details });
      }
      throw err;
    }
  }

  /** Records a served read. Throws if the audit log cannot be written: no unaudited patient data. */
  async served(principal: Principal, patientId: string, action: string, details?: Record<string, unknown>, target?: { type: string; id: string }): Promise<void> {
    await this.audit.recordRead({
      action,
      actor: actorOf(principal),
      patientId,
      details,
      targetType: target?.type,
      targetId: target?.id,
    });
  }
}

function actorOf(principal: Principal) {
  return { userId: principal.userId, role: principal.role, ip: principal.ip };
}
