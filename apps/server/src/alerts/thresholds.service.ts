import { Injectable } from '@nestjs/common';
import type { PatientProfile } from '#domain';
import { defaultSettings, effectiveSettings, validateOverrides, type RuleOverrides, type RuleSettings } from '#rules';
import { PatientAccessService, type VisiblePatient } from '../access/patient-access.service.js';
import { AuditService } from '../audit/audit.service.js';
import type { Principal } from '../auth/principal.js';
import { AppError } from '../common/app-error.js';
import { TransactionRunner } from '../database/transaction.js';
import { RuleDataRepository } from './rule-data.repository.js';
import { ThresholdsRepository } from './thresholds.repository.js';

export interface ThresholdsView {
  patientId: string;
  profile: PatientProfile;
  /** The profile's defaults. */
  defaults: RuleSettings;
  /** What the physician set (absent parameters use the default). */
  overrides: RuleOverrides;
  /** What the rules use: defaults with the overrides applied. */
  effective: RuleSettings;
  updatedBy: string | null;
  updatedAt: string | null;
}

/**
 * Per-patient rule parameters. Read by the patient's nurses and physicians, set by the patient's
 * physicians only. A PUT replaces the patient's overrides as a whole (a parameter left out goes
 * back to the profile default). The evaluator reads them with every batch, so a change applies
 * from the next sample in every process.
 */
@Injectable()
export class ThresholdsService {
  constructor(
    private readonly thresholds: ThresholdsRepository,
    private readonly transactions: TransactionRunner,
    private readonly access: PatientAccessService,
    private readonly audit: AuditService,
    private readonly data: RuleDataRepository,
  ) {}

  async get(principal: Principal, patientId: string): Promise<ThresholdsView> {
    return this.access.read(principal, patientId, { action: 'thresholds.read', target: { type: 'thresholds', id: patientId } }, (patient) =>
      this.load(patient),
    );
  }

  async put(principal: Principal, patientId: string, body: Record<string, unknown>): Promise<ThresholdsView> {
    if (principal.role !== 'physician') throw AppError.forbidden('only physicians set thresholds');
    return this.access.write(principal, patientId, { action: 'thresholds.update' }, async (patient) => {
      const validation = validateOverrides(patient.profile, body);
      if (!validation.ok) throw AppError.validation(validation.errors.join('; '), { fields: validation.errors });
      await this.transactions.run(async (tx) => {
        const before = await this.thresholds.replace(tx.manager, patient.id, validation.overrides, principal.userId);
        await this.audit.record(
          {
            action: 'thresholds.update',
            actor: principal,
            patientId: patient.id,
            targetType: 'thresholds',
            targetId: patient.id,
            details: { before, after: validation.overrides },
          },
          tx,
        );
      });
      return this.load(patient);
    });
  }

  private async load(patient: VisiblePatient): Promise<ThresholdsView> {
    const { id: patientId, profile } = patient;
    const stored = await this.thresholds.find(patientId);
    const overrides = this.data.parseOverrides(patientId, profile, stored?.settings);
    return {
      patientId,
      profile,
      defaults: defaultSettings(profile),
      overrides,
      effective: effectiveSettings(profile, overrides),
      updatedBy: stored?.updatedBy ?? null,
      updatedAt: stored?.updatedAt.toISOString() ?? null,
    };
  }
}
