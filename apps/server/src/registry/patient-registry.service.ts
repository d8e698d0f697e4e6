import { Injectable } from '@nestjs/common';
import { shareableIns } from '#domain';
import { isUuid, PatientAccessService, type NoteRead } from '../access/patient-access.service.js';
import { AuditService, actorOf } from '../audit/audit.service.js';
import type { Principal } from '../auth/principal.js';
import { AppError } from '../common/app-error.js';
import { mapDatabaseError } from '../database/database-errors.js';
import { TransactionRunner, type Tx } from '../database/transaction.js';
import { AdminLogRepository } from './admin-log.repository.js';
import { CareTeamRepository } from './care-team.repository.js';
import { changedIdentityFields, identityColumns, identityView, NO_IDENTITY, requireConsistent, shorthandIns, type IdentityColumns } from './patient-identity.js';
import { PatientRepository, type PatientChanges, type PatientRecord } from './patient.repository.js';
import { RegistryDeviceRepository } from './registry-device.repository.js';
import type { CreatePatientDto, UpdatePatientDto } from './registry.dto.js';
import type { DeviceView, IdentityStatusChangeView, PatientDeviceView, PatientView } from './registry.views.js';

export const DEFAULT_TIMEZONE = 'Europe/Paris';

/** The audit action of an identity status change: its entries are the status history. */
export const IDENTITY_STATUS_ACTION = 'patient.identity.status';

/** What a nurse or physician of the patient's team may change; the rest is the admin's. */
const PROFESSIONAL_FIELDS = new Set(['identity']);

/**
 * Patients' registry entries. Professionals see the patients of their care teams only (through
 * PatientAccessService: a patient elsewhere is a 404, like one that does not exist); an admin
 * sees every patient's registry fields, and no clinical data.
 */
@Injectable()
export class PatientRegistryService {
  constructor(
    private readonly transactions: TransactionRunner,
    private readonly access: PatientAccessService,
    private readonly patients: PatientRepository,
    private readonly devices: RegistryDeviceRepository,
    private readonly teams: CareTeamRepository,
    private readonly audit: AuditService,
    private readonly log: AdminLogRepository,
  ) {}

  async create(principal: Principal, input: CreatePatientDto): Promise<PatientView> {
    if (input.ins !== undefined && input.identity !== undefined) {
      throw AppError.validation('give the INS either as ins or as identity.ins, not both', { fields: ['ins', 'identity.ins'] });
    }
    const identity = input.identity ? identityColumns(input.identity, { ins: null, insOid: null }, today()) : { ...NO_IDENTITY, ...shorthandIns(input.ins) };
    requireConsistent(identity);
    const patient = await this.transactions.run(async (tx) => {
      if ((await this.teams.missing([input.careTeamId], tx)).length > 0) {
        throw AppError.validation('careTeamId: no such care team', { fields: ['careTeamId'] });
      }
      const created = await this.patients
        .insert(
          {
            displayName: input.displayName,
            careTeamId: input.careTeamId,
            profile: input.profile,
            timezone: input.timezone ?? DEFAULT_TIMEZONE,
            ...identity,
          },
          tx,
        )
        .catch(mapDatabaseError);
      await this.audit.record(
        {
          action: 'registry.patient.create',
          actor: actorOf(principal),
          patientId: created.id,
          targetType: 'patient',
          targetId: created.id,
          details: { careTeamId: created.careTeamId, profile: created.profile, withIns: created.ins !== null, identityStatus: created.identityStatus },
        },
        tx,
      );
      if (created.identityStatus !== NO_IDENTITY.identityStatus) await this.recordStatusChange(principal, created.id, NO_IDENTITY, created, tx);
      return created;
    });
    return toView(patient, []);
  }

  /**
   * PATCH /api/patients/:id (CONTRACT §8). Admin: every field. A nurse or physician of the
   * patient's team: the identity only (another field → 403 FIELD_NOT_ALLOWED, audited as denied);
   * outside the team → 404. All or nothing: a refused field changes nothing.
   */
  async update(principal: Principal, patientId: string, input: UpdatePatientDto): Promise<PatientView> {
    const fields = (Object.keys(input) as (keyof UpdatePatientDto)[]).filter((k) => input[k] !== undefined).sort();
    if (fields.length === 0) throw AppError.validation('nothing to change: give identity, displayName, careTeamId, profile or timezone');
    const audit = { action: 'patient.update', target: { type: 'patient', id: patientId }, details: { fields } };
    if (principal.role === 'admin') {
      if (!isUuid(patientId)) throw AppError.notFound('patient');
      return this.apply(principal, patientId, input, fields);
    }
    return this.access.write(principal, patientId, audit, async (patient) => {
      const refused = fields.filter((f) => !PROFESSIONAL_FIELDS.has(f));
      if (refused.length > 0) {
        await this.audit.record({ action: audit.action, actor: actorOf(principal), patientId: patient.id, outcome: 'denied', targetType: 'patient', targetId: patient.id, details: { fields, refused } });
        throw new AppError('FIELD_NOT_ALLOWED', `only an admin may change ${refused.join(', ')}`, { fields: refused });
      }
      return this.apply(principal, patient.id, input, fields);
    });
  }

  /** The history of the identity status (oldest first), from the audit log: who changed it, when, from what to what. */
  async identityHistory(principal: Principal, patientId: string): Promise<IdentityStatusChangeView[]> {
    const audit = { action: 'patient.identity.history.read', target: { type: 'patient', id: patientId } };
    const read = async (id: string) => {
      const entries = await this.log.audit({ patientId: id, action: IDENTITY_STATUS_ACTION, limit: 1000 });
      return entries.reverse().map((e) => ({
        at: e.at,
        from: e.details?.from,
        to: e.details?.to,
        byUserId: e.actorId,
        byRole: e.actorRole,
      })) as IdentityStatusChangeView[];
    };
    if (principal.role !== 'admin') return this.access.read(principal, patientId, audit, (patient) => read(patient.id));
    const found = isUuid(patientId) ? await this.patients.findById(patientId) : undefined;
    if (!found) throw AppError.notFound('patient');
    const history = await read(found.id);
    await this.audit.recordRead({ action: audit.action, actor: actorOf(principal), patientId: found.id, targetType: 'patient', targetId: found.id });
    return history;
  }

  private async apply(principal: Principal, patientId: string, input: UpdatePatientDto, fields: string[]): Promise<PatientView> {
    const updated = await this.transactions.run(async (tx) => {
      const current = await this.patients.lockForUpdate(patientId, tx);
      if (!current) throw AppError.notFound('patient');
      const changes: PatientChanges = {};
      if (input.displayName !== undefined) changes.displayName = input.displayName;
      if (input.profile !== undefined) changes.profile = input.profile;
      if (input.timezone !== undefined) changes.timezone = input.timezone;
      if (input.careTeamId !== undefined && input.careTeamId !== current.careTeamId) {
        if ((await this.teams.missing([input.careTeamId], tx)).length > 0) {
          throw AppError.validation('careTeamId: no such care team', { fields: ['careTeamId'] });
        }
        changes.careTeamId = input.careTeamId;
      }
      const identity = input.identity ? identityColumns(input.identity, current, today()) : undefined;
      if (identity) Object.assign(changes, identity);
      await this.patients.update(patientId, changes, tx).catch(mapDatabaseError);
      const after: PatientRecord = { ...current, ...changes };
      await this.audit.record(
        {
          action: 'patient.update',
          actor: actorOf(principal),
          patientId,
          targetType: 'patient',
          targetId: patientId,
          details: {
            fields,
            ...(identity ? { identityFields: changedIdentityFields(current, identity) } : {}),
            ...(changes.careTeamId ? { careTeamFrom: current.careTeamId, careTeamTo: changes.careTeamId } : {}),
            ...(changes.profile && changes.profile !== current.profile ? { profileFrom: current.profile, profileTo: changes.profile } : {}),
          },
        },
        tx,
      );
      if (after.identityStatus !== current.identityStatus) await this.recordStatusChange(principal, patientId, current, after, tx);
      return after;
    });
    return this.withDevices(updated);
  }

  private async recordStatusChange(principal: Principal, patientId: string, before: IdentityColumns, after: IdentityColumns, tx: Tx): Promise<void> {
    await this.audit.record(
      {
        action: IDENTITY_STATUS_ACTION,
        actor: actorOf(principal),
        patientId,
        targetType: 'patient',
        targetId: patientId,
        details: { from: before.identityStatus, to: after.identityStatus },
      },
      tx,
    );
  }

  async get(principal: Principal, patientId: string): Promise<PatientView> {
    const audit = { action: 'patient.read', target: { type: 'patient', id: patientId } };
    if (principal.role !== 'admin') return this.access.read(principal, patientId, audit, (patient) => this.withDevices(patient));
    // An admin manages the registry: every patient, audited like a professional's read.
    const found = isUuid(patientId) ? await this.patients.findById(patientId) : undefined;
    if (!found) throw AppError.notFound('patient');
    const view = await this.withDevices(found);
    await this.audit.recordRead({ action: audit.action, actor: actorOf(principal), patientId: found.id, targetType: 'patient', targetId: found.id });
    return view;
  }

  async list(principal: Principal): Promise<PatientView[]> {
    const audit = { action: 'patient.list', target: { type: 'patient' } };
    const withDevices = async (patients: PatientRecord[], note?: NoteRead) => {
      note?.({ count: patients.length });
      const devices = await this.devices.ofPatients(patients.map((p) => p.id));
      const byPatient = new Map<string, DeviceView[]>();
      for (const d of devices) byPatient.set(d.patientId, [...(byPatient.get(d.patientId) ?? []), d]);
      return patients.map((p) => toView(p, byPatient.get(p.id) ?? []));
    };
    const idsOf = (views: PatientView[]) => views.map((v) => v.id);
    if (principal.role !== 'admin') return this.access.readList(principal, audit, withDevices, idsOf);
    const views = await withDevices(await this.patients.listAll());
    await this.audit.recordPatientsRead({ action: audit.action, actor: actorOf(principal), targetType: 'patient', details: { count: views.length } }, idsOf(views));
    return views;
  }

  private async withDevices(patient: PatientRecord): Promise<PatientView> {
    return toView(patient, await this.devices.ofPatients([patient.id]));
  }
}

/** Today's date (UTC), the latest acceptable birth date. */
function today(): string {
  return new Date().toISOString().slice(0, 10);
}

function toView(p: PatientRecord, devices: DeviceView[]): PatientView {
  const ins = shareableIns(p);
  return {
    id: p.id,
    displayName: p.displayName,
    profile: p.profile,
    careTeamId: p.careTeamId,
    ...(ins ? { ins: ins.value } : {}),
    identity: identityView(p),
    timezone: p.timezone,
    devices: devices.map(toPatientDevice),
  };
}

function toPatientDevice(d: DeviceView): PatientDeviceView {
  return { deviceId: d.deviceId, kind: d.kind, active: d.active, online: d.online, battery: d.battery, firmware: d.firmware, lastSeenAt: d.lastSeenAt };
}
