import { Injectable } from '@nestjs/common';
import { isUuid, PatientAccessService, type NoteRead } from '../access/patient-access.service.js';
import { AuditService, actorOf } from '../audit/audit.service.js';
import type { Principal } from '../auth/principal.js';
import { AppError } from '../common/app-error.js';
import { mapDatabaseError } from '../database/database-errors.js';
import { TransactionRunner } from '../database/transaction.js';
import { CareTeamRepository } from './care-team.repository.js';
import { PatientRepository, type PatientRecord } from './patient.repository.js';
import { RegistryDeviceRepository } from './registry-device.repository.js';
import type { CreatePatientDto } from './registry.dto.js';
import type { DeviceView, PatientDeviceView, PatientView } from './registry.views.js';

export const DEFAULT_TIMEZONE = 'Europe/Paris';

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
  ) {}

  async create(principal: Principal, input: CreatePatientDto): Promise<PatientView> {
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
            ins: input.ins ?? null,
            timezone: input.timezone ?? DEFAULT_TIMEZONE,
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
          details: { careTeamId: created.careTeamId, profile: created.profile, withIns: created.ins !== null },
        },
        tx,
      );
      return created;
    });
    return toView(patient, []);
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

function toView(p: PatientRecord, devices: DeviceView[]): PatientView {
  return {
    id: p.id,
    displayName: p.displayName,
    profile: p.profile,
    careTeamId: p.careTeamId,
    ...(p.ins !== null ? { ins: p.ins } : {}),
    timezone: p.timezone,
    devices: devices.map(toPatientDevice),
  };
}

function toPatientDevice(d: DeviceView): PatientDeviceView {
  return { deviceId: d.deviceId, kind: d.kind, active: d.active, online: d.online, battery: d.battery, firmware: d.firmware, lastSeenAt: d.lastSeenAt };
}
