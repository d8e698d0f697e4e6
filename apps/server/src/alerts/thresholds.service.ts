import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import type { PatientProfile } from '#domain';
import { defaultSettings, effectiveSettings, validateOverrides, type RuleOverrides, type RuleSettings } from '#rules';
import { PatientAccessService, type VisiblePatient } from '../access/patient-access.service.js';
import { AuditService } from '../audit/audit.service.js';
import type { Principal } from '../auth/principal.js';
import { AppError } from '../common/app-error.js';
import { PG_POOL } from '../database/database.module.js';
import { RuleDataRepository } from './rule-data.repository.js';

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
    @Inject(PG_POOL) private readonly pool: Pool,
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
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        const before = await client.query<{ settings: unknown }>(`SELECT settings FROM patient_thresholds WHERE patient_id = $1 FOR UPDATE`, [patient.id]);
        await client.query(
          `INSERT INTO patient_thresholds (patient_id, settings, updated_by, updated_at) VALUES ($1, $2, $3, now())
           ON CONFLICT (patient_id) DO UPDATE SET settings = EXCLUDED.settings, updated_by = EXCLUDED.updated_by, updated_at = now()`,
          [patient.id, JSON.stringify(validation.overrides), principal.userId],
        );
        await this.audit.record(
          {
            action: 'thresholds.update',
            actor: principal,
            patientId: patient.id,
            targetType: 'thresholds',
            targetId: patient.id,
            details: { before: before.rows[0]?.settings ?? {}, after: validation.overrides },
          },
          client,
        );
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
      return this.load(patient);
    });
  }

  private async load(patient: VisiblePatient): Promise<ThresholdsView> {
    const { id: patientId, profile } = patient;
    const { rows } = await this.pool.query<{ settings: unknown; updated_by: string | null; updated_at: Date }>(
      `SELECT settings, updated_by, updated_at FROM patient_thresholds WHERE patient_id = $1`,
      [patientId],
    );
    const overrides = this.data.parseOverrides(patientId, profile, rows[0]?.settings);
    return {
      patientId,
      profile,
      defaults: defaultSettings(profile),
      overrides,
      effective: effectiveSettings(profile, overrides),
      updatedBy: rows[0]?.updated_by ?? null,
      updatedAt: rows[0]?.updated_at.toISOString() ?? null,
    };
  }
}
