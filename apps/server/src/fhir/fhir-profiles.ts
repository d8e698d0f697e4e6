/**
 * Canonical URLs of the profiles this server's FHIR resources claim in `meta.profile`
 * (CONTRACT.md §8), and the code systems those profiles fix. Versions read: docs/fhir.md.
 */
const ANS_MESURES = 'https://interop.esante.gouv.fr/ig/fhir/mesures/StructureDefinition';
const FR_CORE = 'https://hl7.fr/ig/fhir/core';

export const PROFILE = {
  /** ANS Mesures de santé 3.1.0 (MesFrObservationOxygenSat.fsh, parent R4 oxygensat). */
  oxygenSat: `${ANS_MESURES}/mesures-fr-observation-oxygen-sat`,
  /** ANS Mesures de santé 3.1.0 (MesFrObservationRespRate.fsh, parent FR Core resp rate → R4 resprate). */
  respRate: `${ANS_MESURES}/mesures-fr-observation-resp-rate`,
  /** ANS Mesures de santé 3.1.0 (MesFrObservationHeartrate.fsh, parent FR Core heart rate → R4 heartrate). */
  heartRate: `${ANS_MESURES}/mesures-fr-observation-heartrate`,
  /** R4 base vital-signs profile: the catalogue's other metrics (no ANS or FR Core profile exists for them). */
  vitalSigns: 'http://hl7.org/fhir/StructureDefinition/vitalsigns',
  /** HL7 Personal Health Device IG (R4): the Device every Observation.device references. */
  phdDevice: 'http://hl7.org/fhir/uv/phd/StructureDefinition/PhdDevice',
  /** The feed Bundle inbound FHIR accepts (MesBundleFluxAlimentation.fsh). */
  feedBundle: `${ANS_MESURES}/mesures-bundle-flux-alimentation`,
  /** FR Core Patient: any patient (no INS). */
  frCorePatient: `${FR_CORE}/StructureDefinition/fr-core-patient`,
  /** FR Core Patient INS: only a qualified identity (shareableIns). */
  frCorePatientIns: `${FR_CORE}/StructureDefinition/fr-core-patient-ins`,
} as const;

/** FR Core code systems and extensions used by the Patient resource. */
export const FR_CORE_IDENTIFIER_TYPE = `${FR_CORE}/CodeSystem/fr-core-cs-v2-0203`;
export const FR_CORE_IDENTITY_STATUS = `${FR_CORE}/CodeSystem/fr-core-cs-identity-status`;
export const FR_CORE_IDENTITY_RELIABILITY = `${FR_CORE}/StructureDefinition/fr-core-identity-reliability`;
export const FR_CORE_BIRTH_LIST_GIVEN_NAME = `${FR_CORE}/StructureDefinition/fr-core-patient-birth-list-given-name`;
export const FR_CORE_INSEE_CODE = `${FR_CORE}/StructureDefinition/fr-core-address-insee-code`;
export const PATIENT_BIRTHPLACE = 'http://hl7.org/fhir/StructureDefinition/patient-birthPlace';
/** Commune (and foreign-country) codes of the INSEE, as FR Core's examples code the birthplace. */
export const INSEE_COMMUNE_SYSTEM = 'https://mos.esante.gouv.fr/NOS/TRE_R13-CommuneOM/FHIR/TRE-R13-CommuneOM';
export const V2_0203 = 'http://terminology.hl7.org/CodeSystem/v2-0203';
export const DATA_ABSENT_REASON = 'http://hl7.org/fhir/StructureDefinition/data-absent-reason';

/** IEEE 11073-10101 codes the PhdDevice profile fixes or binds. */
export const MDC_SIMPLE_MDS = { code: '65573', display: 'MDC_MOC_VMS_MDS_SIMP' } as const;
export const MDC_FIRMWARE_VERSION = { code: '531975', display: 'MDC_ID_PROD_SPEC_FW' } as const;
export const MDC_SPECIALIZATION = {
  oximeter: { code: '528388', display: 'MDC_DEV_SPEC_PROFILE_PULS_OXIM' },
  ventilator: { code: '528386', display: 'MDC_DEV_SPEC_PROFILE_VENT' },
  // IEEE 11073 has no oxygen-concentrator specialization: the generic one (8::4169), which names
  // no kind, so an inbound Device with it is not taken for a concentrator (feed-bundle.ts).
  concentrator: { code: '528457', display: 'MDC_DEV_SPEC_PROFILE_GENERIC' },
} as const;
