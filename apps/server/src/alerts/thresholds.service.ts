import { Injectable } from '@nestjs/common';
import type { PatientProfile } from '#domain';
import {
  defaultSettings,
  disablesMandatoryRule,
  effectiveSettings,
  MANDATORY_RULE_IDS,
  validateOverrides,
  withMandatoryRules,
  type RuleOverrides,
  type RuleSettings,
} from '#rules';
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
  /** Parameters the physician may not change now, with the reason (device.silent while an episode is active). */
  locked: LockedParameter[];
}

export interface LockedParameter {
  rule: string;
  parameter: string;
  reason: string;
}

/**
 * Mandatory while an episode of telemonitoring is active (CONTRACT.md §6, LATM): the alert on a
 * device that stopped transmitting cannot be switched off.
 */
const MANDATORY: readonly LockedParameter[] = MANDATORY_RULE_IDS.map((rule) => ({
  rule,
  parameter: 'enabled',
  reason: 'Mandatory while the patient is under telemonitoring: the alert on a device that stops sending data cannot be switched off.',
}));

/** The thresholds in force over a period: at its start, then each change in it. */
export interface ThresholdsHistory {
  atStart: RuleSettings;
  changes: Array<{ at: string; by: string | null; before: RuleSettings; after: RuleSettings }>;
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
      const off = disablesMandatoryRule(validation.overrides);
      if (off.length > 0 && (await this.lockedFor(patient)).length > 0) {
        throw new AppError('RULE_MANDATORY', `${off.join(', ')} cannot be disabled while an episode of telemonitoring is active`, { rules: off });
      }
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

  /** The thresholds of a patient the caller was given access to (the scope is the proof). */
  async viewOf(patient: VisiblePatient): Promise<ThresholdsView> {
    return this.load(patient);
  }

  /**
   * The thresholds in force during [from, to) and their changes in it, from the changes the audit
   * log records with their before and after (written in the transaction of each PUT): in force at
   * `from` is the last change's "after" before it, else the first later change's "before", else
   * what is stored now.
   */
  async historyOf(patient: VisiblePatient, from: Date, to: Date): Promise<ThresholdsHistory> {
    const changes = await this.audit.changesOf(patient, 'thresholds.update', to);
    const settingsOf = (raw: unknown) => effectiveSettings(patient.profile, this.data.parseOverrides(patient.id, patient.profile, raw));
    const earlier = changes.filter((c) => c.at < from);
    const later = changes.filter((c) => c.at >= from);
    const atStart =
      earlier.length > 0 ? earlier.at(-1)!.details?.after : later.length > 0 ? later[0]!.details?.before : (await this.thresholds.find(patient.id))?.settings;
    return {
      atStart: settingsOf(atStart),
      changes: later.map((c) => ({ at: c.at.toISOString(), by: c.actorId, before: settingsOf(c.details?.before), after: settingsOf(c.details?.after) })),
    };
  }

  private async load(patient: VisiblePatient): Promise<ThresholdsView> {
    const { id: patientId, profile } = patient;
    const stored = await this.thresholds.find(patientId);
    const overrides = this.data.parseOverrides(patientId, profile, stored?.settings);
    const locked = await this.lockedFor(patient);
    return {
      patientId,
      profile,
      defaults: defaultSettings(profile),
      overrides,
      // What the rules use: under telemonitoring, the mandatory rules on whatever was saved.
      effective: effectiveSettings(profile, locked.length > 0 ? withMandatoryRules(overrides) : overrides),
      updatedBy: stored?.updatedBy ?? null,
      updatedAt: stored?.updatedAt.toISOString() ?? null,
      locked,
    };
  }

  /** The mandatory parameters, while the rules run for the patient (the one gate: an active episode). */
  private async lockedFor(patient: VisiblePatient): Promise<LockedParameter[]> {
    return (await this.data.patientContext(patient.id)) ? [...MANDATORY] : [];
  }
}
