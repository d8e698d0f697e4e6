import { Injectable } from '@nestjs/common';
import { validateSnoozeRequest, type RuleId, type SnoozeRefusal } from '#domain';
import { PatientAccessService } from '../access/patient-access.service.js';
import { AuditService } from '../audit/audit.service.js';
import type { Principal } from '../auth/principal.js';
import { AppError } from '../common/app-error.js';
import { TransactionRunner } from '../database/transaction.js';
import type { RuleSnoozeEntity } from './snooze.entity.js';
import { SnoozeRepository } from './snooze.repository.js';

/** A snooze as the API shows it. */
export interface SnoozeView {
  id: string;
  patientId: string;
  rule: RuleId;
  until: string;
  reason: string;
  createdBy: string;
  createdAt: string;
  endedBy: string | null;
  endedAt: string | null;
  /** In force now: not ended and not expired. */
  active: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function viewOf(s: RuleSnoozeEntity, now: number): SnoozeView {
  return {
    id: s.id,
    patientId: s.patientId,
    rule: s.rule,
    until: s.until.toISOString(),
    reason: s.reason,
    createdBy: s.createdBy,
    createdAt: s.createdAt.toISOString(),
    endedBy: s.endedBy,
    endedAt: s.endedAt?.toISOString() ?? null,
    active: s.endedAt === null && s.until.getTime() > now,
  };
}

/**
 * Snoozes (CONTRACT.md §7): a nurse or physician of the patient's care team silences one
 * non-critical rule for at most 7 days, with a reason; ending one early keeps the row. The rules
 * obey them at raise time (RuleDataRepository.snoozed, asked by AlertDecisionService).
 */
@Injectable()
export class SnoozesService {
  constructor(
    private readonly snoozes: SnoozeRepository,
    private readonly transactions: TransactionRunner,
    private readonly access: PatientAccessService,
    private readonly audit: AuditService,
  ) {}

  /** One snooze in force per (patient, rule): a second one is refused with SNOOZE_ACTIVE (end it first). */
  async create(principal: Principal, patientId: string, body: unknown, now = Date.now()): Promise<SnoozeView> {
    return this.access.write(principal, patientId, { action: 'snooze.create' }, async (patient) => {
      const v = validateSnoozeRequest(body, now);
      if (!v.ok) throw new AppError(v.refusal.code, REFUSAL_MESSAGE[v.refusal.code]);
      const { rule, until, reason } = v.value;
      const created = await this.transactions.run(async (tx) => {
        await this.snoozes.lockPatient(tx.manager, patient.id);
        const active = await this.snoozes.findActive(tx.manager, patient.id, rule);
        if (active) throw new AppError('SNOOZE_ACTIVE', `${rule} is already snoozed for this patient`, { snoozeId: active.id, until: active.until.toISOString() });
        const row = await this.snoozes.insert(tx.manager, { patientId: patient.id, rule, until: new Date(until), reason, createdBy: principal.userId });
        await this.audit.record(
          {
            action: 'snooze.create',
            actor: principal,
            patientId: patient.id,
            targetType: 'snooze',
            targetId: row.id,
            details: { rule, until: row.until.toISOString(), reason },
          },
          tx,
        );
        return row;
      });
      return viewOf(created, now);
    });
  }

  /** The patient's snoozes in force and those ended or expired in the last 7 days. */
  async list(principal: Principal, patientId: string, now = Date.now()): Promise<SnoozeView[]> {
    return this.access.read(principal, patientId, { action: 'snooze.list', target: { type: 'snoozes', id: patientId } }, async (patient) =>
      (await this.snoozes.listRecent(patient.id, new Date(now))).map((s) => viewOf(s, now)),
    );
  }

  /** Ends a snooze early (the row is kept with who and when). Unknown, or of a patient the caller may not see: 404. */
  async end(principal: Principal, snoozeId: string, now = Date.now()): Promise<SnoozeView> {
    const found = UUID.test(snoozeId) ? await this.snoozes.findById(snoozeId) : null;
    if (!found) throw AppError.notFound('snooze');
    return this.access.write(principal, found.patientId, { action: 'snooze.end' }, async (patient) => {
      const ended = await this.transactions.run(async (tx) => {
        const row = await this.snoozes.end(tx.manager, snoozeId, principal.userId);
        if (!row) throw new AppError('SNOOZE_ALREADY_ENDED', 'this snooze has already ended or expired');
        await this.audit.record(
          {
            action: 'snooze.end',
            actor: principal,
            patientId: patient.id,
            targetType: 'snooze',
            targetId: row.id,
            details: { rule: row.rule, until: row.until.toISOString(), reason: row.reason },
          },
          tx,
        );
        return row;
      });
      return viewOf(ended, now);
    });
  }
}

const REFUSAL_MESSAGE: Record<SnoozeRefusal['code'], string> = {
  SNOOZE_BODY_INVALID: 'the body must be { rule, until, reason } with string values',
  SNOOZE_RULE_UNKNOWN: 'unknown rule',
  SNOOZE_REASON_REQUIRED: 'a reason is required',
  SNOOZE_UNTIL_INVALID: 'until must be an ISO 8601 time with an offset, in the future and at most 7 days ahead',
  RULE_NOT_SNOOZABLE: 'this rule cannot be snoozed (critical desaturation, silent device)',
};

