import { INS_OID_NIA, shareableIns, type IdentityStatus, type PatientSex } from '#domain';
import {
  FR_CORE_BIRTH_LIST_GIVEN_NAME,
  FR_CORE_IDENTIFIER_TYPE,
  FR_CORE_IDENTITY_RELIABILITY,
  FR_CORE_IDENTITY_STATUS,
  FR_CORE_INSEE_CODE,
  INSEE_COMMUNE_SYSTEM,
  PATIENT_BIRTHPLACE,
  PROFILE,
  V2_0203,
} from './fhir-profiles.js';
import type { MetaSource, Resource } from './fhir-resources.js';

/** This service's own patient ids (FR Core identifier slice PI). */
export const PATIENT_ID_SYSTEM = 'urn:telemonitoring:patient-id';

/** What the Patient resource shows of a patient: the identity traits (RNIV) and the local id. */
export interface PatientIdentity {
  id: string;
  displayName: string;
  ins: string | null;
  insOid: string | null;
  identityStatus: IdentityStatus;
  birthName: string | null;
  usedName: string | null;
  firstNames: string[];
  birthDate: string | null;
  sex: PatientSex | null;
  birthplaceCode: string | null;
}

/** RNIV statuses as FR Core codes them (fr-core-cs-identity-status: PROV, RECUP, VALI, QUAL). */
const STATUS_CODE: Record<IdentityStatus, { code: string; display: string }> = {
  provisional: { code: 'PROV', display: 'Identité provisoire' },
  recovered: { code: 'RECUP', display: 'Identité récupérée' },
  validated: { code: 'VALI', display: 'Identité validée' },
  qualified: { code: 'QUAL', display: 'Identité qualifiée' },
};
const GENDER: Record<PatientSex, 'female' | 'male' | 'unknown'> = { F: 'female', M: 'male', U: 'unknown' };

/**
 * The Patient in FR Core. With a qualified identity (shareableIns, the one rule of libs/domain)
 * it claims `fr-core-patient-ins` and carries the INS (slice INS-NIR, or INS-NIA for a temporary
 * one) with the birth traits the profile requires; otherwise it claims `fr-core-patient` and
 * carries only the local id (slice PI), the display name and the identity status: no INS and no
 * identity traits leave the product for an identity that is not qualified.
 */
export function patientResource(p: PatientIdentity, source: MetaSource): Resource {
  const local = {
    use: 'usual',
    type: { coding: [{ system: V2_0203, code: 'PI', display: 'Patient internal identifier' }] },
    system: PATIENT_ID_SYSTEM,
    value: p.id,
  };
  const status = STATUS_CODE[p.identityStatus];
  const reliability = {
    url: FR_CORE_IDENTITY_RELIABILITY,
    extension: [{ url: 'identityStatus', valueCoding: { system: FR_CORE_IDENTITY_STATUS, ...status } }],
  };
  const ins = shareableIns(p);
  if (!ins) {
    return {
      resourceType: 'Patient',
      id: p.id,
      meta: { source, profile: [PROFILE.frCorePatient] },
      extension: [reliability],
      identifier: [local],
      active: true,
      name: [{ text: p.displayName }],
    };
  }
  const nia = ins.oid === INS_OID_NIA;
  const insType = nia ? 'INS-NIA' : 'INS-NIR';
  const given = p.firstNames[0];
  return {
    resourceType: 'Patient',
    id: p.id,
    meta: { source, profile: [PROFILE.frCorePatientIns] },
    extension: [
      reliability,
      ...(p.birthplaceCode
        ? [{ url: PATIENT_BIRTHPLACE, valueAddress: { extension: [{ url: FR_CORE_INSEE_CODE, valueCoding: { system: INSEE_COMMUNE_SYSTEM, code: p.birthplaceCode } }] } }]
        : []),
    ],
    identifier: [{ use: nia ? 'temp' : 'official', type: { coding: [{ system: FR_CORE_IDENTIFIER_TYPE, code: insType }] }, system: `urn:oid:${ins.oid}`, value: ins.value }, local],
    active: true,
    name: [
      {
        use: 'official',
        ...(p.birthName ? { family: p.birthName } : {}),
        ...(given ? { given: [given] } : {}),
        ...(p.firstNames.length > 0 ? { extension: [{ url: FR_CORE_BIRTH_LIST_GIVEN_NAME, valueString: p.firstNames.join(' ') }] } : {}),
      },
      ...(p.usedName ? [{ use: 'usual', family: p.usedName }] : []),
    ],
    ...(p.sex ? { gender: GENDER[p.sex] } : {}),
    ...(p.birthDate ? { birthDate: p.birthDate } : {}),
  };
}
