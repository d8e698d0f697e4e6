import { Injectable } from '@nestjs/common';
import { AuditService, actorOf } from '../audit/audit.service.js';
import type { Principal } from '../auth/principal.js';
import { AppError } from '../common/app-error.js';
import { PatientAccessRepository, type PatientRecord } from './patient-access.repository.js';
import { issuePatientScope, type PatientScope } from './patient-scope.js';

/** A patient the caller may see; also the PatientScope the patient-data repositories require. */
export type VisiblePatient = PatientRecord & PatientScope;

/** What the audit log records of an access: the action, its parameters (never values), its target. */
export interface AccessAudit {
  action: string;
  details?: Record<string, unknown>;
  target?: { type: string; id?: string };
}

/** Adds to the audit entry of a read what is known only once the data is read (a count, …). */
export type NoteRead = (details: Record<string, unknown>) => void;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The one gate to patient data, and the one place where access to it is audited.
 *
 * A patient is visible to a professional only through a care team they belong to; a patient
 * outside the caller's teams is reported exactly like one that does not exist (404), and the
 * attempt is recorded as denied. The PatientScope that the patient-data repositories require is
 * handed out only inside `read` (which records the served read before the answer leaves: no
 * unaudited patient data) and `write` (whose caller records the change in its own transaction),
 * so a new route cannot reach patient data without leaving its trace.
 */
@Injectable()
export class PatientAccessService {
  constructor(
    private readonly patients: PatientAccessRepository,
    private readonly audit: AuditService,
  ) {}

  /** Reads one patient's data: denied → 404 and a denied entry; served → a read entry. */
  async read<T>(principal: Principal, patientId: string, audit: AccessAudit, reader: (patient: VisiblePatient, note: NoteRead) => Promise<T>): Promise<T> {
    const patient = await this.open(principal, patientId, audit);
    let details = audit.details;
    const result = await reader(patient, (more) => {
      details = { ...details, ...more };
    });
    await this.audit.recordRead({
      action: audit.action,
      actor: actorOf(principal),
      patientId: patient.id,
      details,
      targetType: audit.target?.type,
      targetId: audit.target?.id,
    });
    return result;
  }

  /**
   * Changes one patient's data: denied → 404 and a denied entry. The writer records the change
   * itself, in the transaction that makes it, so that the change and its trace commit together.
   */
  async write<T>(principal: Principal, patientId: string, audit: AccessAudit, writer: (patient: VisiblePatient) => Promise<T>): Promise<T> {
    return writer(await this.open(principal, patientId, audit));
  }

  /**
   * Only checks that the caller may see the patient (denied → 404 and a denied entry), for a read
   * whose own query is filtered on the caller's care teams and audited as a list (alerts).
   */
  async check(principal: Principal, patientId: string, audit: AccessAudit): Promise<void> {
    await this.open(principal, patientId, audit);
  }

  /**
   * Reads the data of every patient of the caller's care teams (a list): the audit entry names
   * the patients whose data was returned (`patientIdsOf` the result).
   */
  async readList<T>(
    principal: Principal,
    audit: AccessAudit & { patientId?: string },
    reader: (patients: VisiblePatient[], note: NoteRead) => Promise<T>,
    patientIdsOf: (result: T) => Iterable<string>,
  ): Promise<T> {
    const patients = (await this.patients.listInTeams(principal.careTeamIds)).map(issuePatientScope);
    let details = audit.details;
    const result = await reader(patients, (more) => {
      details = { ...details, ...more };
    });
    await this.audit.recordPatientsRead(
      { action: audit.action, actor: actorOf(principal), patientId: audit.patientId ?? null, targetType: audit.target?.type, details },
      patientIdsOf(result),
    );
    return result;
  }

  /**
   * The operator's view over patients (its activity, CONTRACT.md §6): an admin reads every
   * patient, a physician those of his care teams; any other role is refused (403). Audited like a
   * list: the entry names the patients whose data was returned.
   */
  async readOperatorList<T>(
    principal: Principal,
    audit: AccessAudit,
    reader: (patients: VisiblePatient[], note: NoteRead) => Promise<T>,
    patientIdsOf: (result: T) => Iterable<string>,
  ): Promise<T> {
    if (principal.role !== 'admin' && principal.role !== 'physician') throw AppError.forbidden();
    const records = principal.role === 'admin' ? await this.patients.listAll() : await this.patients.listInTeams(principal.careTeamIds);
    const patients = records.map(issuePatientScope);
    let details = audit.details;
    const result = await reader(patients, (more) => {
      details = { ...details, ...more };
    });
    await this.audit.recordPatientsRead({ action: audit.action, actor: actorOf(principal), targetType: audit.target?.type, details }, patientIdsOf(result));
    return result;
  }

  private async open(principal: Principal, patientId: string, audit: AccessAudit): Promise<VisiblePatient> {
    const found = isUuid(patientId) ? await this.patients.findInTeams(patientId, principal.careTeamIds) : null;
    if (found) return issuePatientScope(found);
    // Only a well-formed id can name a patient: anything else is not an attempt on anyone.
    if (isUuid(patientId)) {
      await this.audit.record({ action: audit.action, actor: actorOf(principal), patientId, outcome: 'denied', details: audit.details });
    }
    throw AppError.notFound('patient');
  }
}

export function isUuid(value: string): boolean {
  return UUID.test(value);
}
