/** Professionals' roles. Admins manage the registry; they see no patient data through care teams. */
export const ROLES = ['nurse', 'physician', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Patient profile: hypercapnic patients (COPD, obesity hypoventilation, neuromuscular) have lower SpO2 targets. */
export const PATIENT_PROFILES = ['hypercapnic', 'standard'] as const;
export type PatientProfile = (typeof PATIENT_PROFILES)[number];

/** Pulse oximeter, home mechanical ventilator, home oxygen concentrator (CONTRACT.md §6). */
export const DEVICE_KINDS = ['oximeter', 'ventilator', 'concentrator'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

/** RNIV identity statuses. Only a `qualified` identity's INS may be exported, printed or sent. */
export const IDENTITY_STATUSES = ['provisional', 'recovered', 'validated', 'qualified'] as const;
export type IdentityStatus = (typeof IDENTITY_STATUSES)[number];
export const PATIENT_SEXES = ['F', 'M', 'U'] as const;
export type PatientSex = (typeof PATIENT_SEXES)[number];

/** OIDs of the INS's assigning authorities (NIR, NIA). */
export const INS_OID_NIR = '1.2.250.1.213.1.4.8';
export const INS_OID_NIA = '1.2.250.1.213.1.4.9';

/**
 * The INS a document or a message may carry (FHIR, reports, exports): only that of a qualified
 * identity (RNIV); null otherwise, and the display name and local id are used instead.
 */
export function shareableIns(patient: { ins: string | null; insOid?: string | null; identityStatus: IdentityStatus }): { value: string; oid: string } | null {
  if (patient.identityStatus !== 'qualified' || !patient.ins) return null;
  return { value: patient.ins, oid: patient.insOid ?? INS_OID_NIR };
}

/** A patient's identity as the RNIV records it (strict traits, INS, status). */
export interface PatientIdentity {
  birthName: string | null;
  usedName: string | null;
  firstNames: string[];
  /** YYYY-MM-DD */
  birthDate: string | null;
  sex: PatientSex | null;
  /** INSEE code of the birthplace (commune, or 99xxx abroad). */
  birthplaceCode: string | null;
  ins: string | null;
  insOid: string | null;
  identityStatus: IdentityStatus;
}

/** Why an identity may not carry its status (RNIV); empty when it may. */
export type IdentityProblem = 'traits-missing' | 'ins-missing' | 'ins-oid-missing';

/**
 * The RNIV's conditions on a status: `validated` (traits checked against an identity document)
 * needs the five strict traits (birth name, first names, birth date, sex, birthplace code);
 * `recovered` (INS returned by the INSi teleservice) needs the INS and its OID; `qualified` is
 * both. `provisional` needs nothing. Downgrades are always allowed: they only remove conditions.
 */
export function identityProblems(identity: PatientIdentity): IdentityProblem[] {
  const status = identity.identityStatus;
  const problems: IdentityProblem[] = [];
  const needsTraits = status === 'validated' || status === 'qualified';
  const needsIns = status === 'recovered' || status === 'qualified';
  const traitsComplete =
    !!identity.birthName && identity.firstNames.length > 0 && !!identity.birthDate && !!identity.sex && !!identity.birthplaceCode;
  if (needsTraits && !traitsComplete) problems.push('traits-missing');
  if (needsIns && !identity.ins) problems.push('ins-missing');
  if (needsIns && identity.ins && !identity.insOid) problems.push('ins-oid-missing');
  return problems;
}
