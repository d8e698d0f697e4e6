import { describe, expect, it } from '@jest/globals';
import { SAMPLE_METRIC_NAMES } from '#domain';
import { fhirProblems } from '../../../../test/support/fhir-r4-check.js';
import { deviceFhirId, deviceIdFromFhir, metricCoding } from './fhir-codes.js';
import { patientResource, type PatientIdentity } from './fhir-patient.js';
import {
  aggregateObservation,
  capabilityStatement,
  deviceResource,
  LOW_CONFIDENCE_NOTE,
  LOW_CONFIDENCE_PREFIX,
  operationOutcome,
  readingObservation,
  searchBundle,
  type Resource,
} from './fhir-resources.js';

const P = '2b7e2c4e-5a7e-4d0a-9f59-7d1f6a0c1e11';
const at = new Date('2026-11-23T03:10:00.000Z');
const SRC = 'https://tm.example/fhir';
const identity = (over: Partial<PatientIdentity> = {}): PatientIdentity => ({
  id: P,
  displayName: 'A B',
  ins: null,
  insOid: null,
  identityStatus: 'provisional',
  birthName: null,
  usedName: null,
  firstNames: [],
  birthDate: null,
  sex: null,
  birthplaceCode: null,
  ...over,
});
const QUALIFIED = identity({
  ins: '279035121518989',
  insOid: '1.2.250.1.213.1.4.8',
  identityStatus: 'qualified',
  birthName: 'DUPONT',
  usedName: 'MARTIN',
  firstNames: ['Marie', 'Claire'],
  birthDate: '1979-03-12',
  sex: 'F',
  birthplaceCode: '51215',
});

describe('FHIR resources (R4 structure)', () => {
  it.each(SAMPLE_METRIC_NAMES)('a raw %s sample is a valid Observation', (metric) => {
    const o = readingObservation(P, { deviceId: 'OX_12-a', metric, time: at, timeUs: '1795403400000000', value: 42 }, SRC);
    expect(fhirProblems(o)).toEqual([]);
    expect(o).toMatchObject({ subject: { reference: `Patient/${P}` }, device: { reference: 'Device/OX.12-a' }, effectiveDateTime: at.toISOString() });
  });

  it.each(SAMPLE_METRIC_NAMES)('a %s bucket is a valid Observation with a period, the mean and min/max/count components', (metric) => {
    const o = aggregateObservation(P, { metric, bucket: '1h', start: at, end: new Date(at.getTime() + 3_600_000), min: 1, avg: 2.5, max: 4, count: 3600 }, SRC);
    expect(fhirProblems(o)).toEqual([]);
    expect(o).toMatchObject({ effectivePeriod: { start: at.toISOString() }, valueQuantity: { value: 2.5 } });
    expect((o.component as { valueQuantity?: { value: number }; valueInteger?: number }[]).map((c) => c.valueQuantity?.value ?? c.valueInteger)).toEqual([1, 4, 3600]);
  });

  it('codes SpO2 with LOINC 2708-6 and 59408-5, MDC 150456 and UCUM %, in the ANS oxygen-saturation profile', () => {
    const o = readingObservation(P, { deviceId: 'OX-1', metric: 'spo2', time: at, timeUs: '1', value: 93 }, SRC);
    expect(o).toMatchObject({
      meta: { source: SRC, profile: ['https://interop.esante.gouv.fr/ig/fhir/mesures/StructureDefinition/mesures-fr-observation-oxygen-sat'] },
      status: 'final',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs', display: 'vital-signs' }] }],
      valueQuantity: { value: 93, unit: '%', system: 'http://unitsofmeasure.org', code: '%' },
    });
    const codes = (o.code as { coding: { system: string; code: string }[] }).coding.map((c) => `${c.system}|${c.code}`);
    expect(codes).toEqual(expect.arrayContaining(['http://loinc.org|2708-6', 'http://loinc.org|59408-5', 'urn:iso:std:iso:11073:10101|150456']));
  });

  it.each([
    ['pulseRate', '8889-8'],
    ['respRate', '9279-1'],
    ['tidalVolume', '76222-9'],
    ['leak', '76296-3'],
  ] as const)('codes %s with LOINC %s from the catalogue', (metric, loinc) => {
    expect(metricCoding(metric).codings).toContainEqual(expect.objectContaining({ system: 'http://loinc.org', code: loinc }));
  });

  it.each([
    ['spo2', 'mesures-fr-observation-oxygen-sat'],
    ['pulseRate', 'mesures-fr-observation-heartrate'],
    ['respRate', 'mesures-fr-observation-resp-rate'],
    ['tidalVolume', 'vitalsigns'],
    ['leak', 'vitalsigns'],
    ['o2Flow', 'vitalsigns'],
  ] as const)('%s claims %s, names its source and references its device', (metric, profile) => {
    const o = readingObservation(P, { deviceId: 'OX-1', metric, time: at, timeUs: '1', value: 42 }, SRC);
    expect((o.meta as { profile: string[] }).profile.map((p) => p.split('/').pop())).toEqual([profile]);
    expect(o).toMatchObject({ meta: { source: SRC }, device: { reference: 'Device/OX-1' } });
  });

  it('a provisional, recovered or validated identity: fr-core-patient, local id only, no INS and no identity traits', () => {
    for (const status of ['provisional', 'recovered', 'validated'] as const) {
      const p = patientResource({ ...QUALIFIED, identityStatus: status }, SRC);
      expect(p.meta).toEqual({ source: SRC, profile: ['https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient'] });
      expect(JSON.stringify(p)).not.toContain(QUALIFIED.ins);
      expect(JSON.stringify(p)).not.toMatch(/DUPONT|1979|51215/);
      expect(p.identifier).toEqual([expect.objectContaining({ use: 'usual', system: 'urn:telemonitoring:patient-id', value: P })]);
      expect(fhirProblems(p)).toEqual([]);
    }
  });

  it('a qualified identity: fr-core-patient-ins with the INS-NIR, birth name, first names, sex, birth date and place', () => {
    const p = patientResource(QUALIFIED, SRC);
    expect(fhirProblems(p)).toEqual([]);
    expect(p).toMatchObject({
      meta: { profile: ['https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient-ins'] },
      identifier: [
        { use: 'official', type: { coding: [{ system: 'https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203', code: 'INS-NIR' }] }, system: 'urn:oid:1.2.250.1.213.1.4.8', value: QUALIFIED.ins },
        { use: 'usual', value: P },
      ],
      name: [{ use: 'official', family: 'DUPONT', given: ['Marie'] }, { use: 'usual', family: 'MARTIN' }],
      gender: 'female',
      birthDate: '1979-03-12',
    });
    const nia = patientResource({ ...QUALIFIED, insOid: '1.2.250.1.213.1.4.9' }, SRC);
    expect(fhirProblems(nia)).toEqual([]);
    expect((nia.identifier as { use: string; system: string }[])[0]).toMatchObject({ use: 'temp', system: 'urn:oid:1.2.250.1.213.1.4.9' });
  });

  it('builds valid Patient, Device, Bundle, OperationOutcome and CapabilityStatement', () => {
    const resources: Resource[] = [
      patientResource(QUALIFIED, SRC),
      patientResource(identity(), SRC),
      deviceResource({ deviceId: 'VE_1', kind: 'ventilator', patientId: P, active: true, firmware: '1.2.3' }, SRC),
      deviceResource({ deviceId: 'OX-1', kind: 'oximeter', patientId: P, active: false, firmware: null }, SRC),
      searchBundle([{ fullUrl: 'http://h/fhir/Patient/x', resource: patientResource(QUALIFIED, SRC) }], { self: 'http://h/fhir/Observation?patient=x', next: 'http://h/n' }, at),
      searchBundle([], { self: 'http://h/fhir/Observation?patient=x' }, at),
      operationOutcome('not-found', 'NOT_FOUND: patient not found'),
      capabilityStatement('http://h'),
    ];
    for (const r of resources) expect(fhirProblems(r)).toEqual([]);
  });

  it('maps device ids to FHIR ids and back', () => {
    for (const id of ['OX-1', 've_01_a', 'A_-_b']) {
      expect(deviceFhirId(id)).toMatch(/^[A-Za-z0-9\-.]{1,64}$/);
      expect(deviceIdFromFhir(deviceFhirId(id))).toBe(id);
    }
  });
});

describe('FHIR: SpO2 below 70 % is flagged low-confidence (CONTRACT.md §1) with an Observation.note', () => {
  const notes = (o: Resource) => ((o.note as { text: string }[] | undefined) ?? []).map((n) => n.text);
  const raw = (metric: 'spo2' | 'pulseRate', value: number) => readingObservation(P, { deviceId: 'OX-1', metric, time: at, timeUs: '1', value }, SRC);

  it.each([
    [69.9, true],
    [50, true],
    [0, true],
    [70, false],
    [93, false],
  ])('a raw SpO2 of %d: flagged %s, a valid oxygensat vital sign either way, value and status unchanged', (value, flagged) => {
    const o = raw('spo2', value);
    expect(fhirProblems(o)).toEqual([]);
    expect(notes(o)).toEqual(flagged ? [LOW_CONFIDENCE_NOTE] : []);
    expect(o).toMatchObject({ status: 'final', valueQuantity: { value, code: '%' }, meta: { profile: ['https://interop.esante.gouv.fr/ig/fhir/mesures/StructureDefinition/mesures-fr-observation-oxygen-sat'] } });
    expect(o).not.toHaveProperty('interpretation');
  });

  it('says low confidence in a fixed, recognisable text', () => {
    expect(LOW_CONFIDENCE_NOTE).toMatch(/^Low confidence: SpO2 below 70 %/);
  });

  it('never flags another metric below 70', () => {
    expect(notes(raw('pulseRate', 45))).toEqual([]);
  });

  it.each([
    [65, true],
    [69, true],
    [70, false],
  ])('an SpO2 bucket whose minimum is %d: low-confidence note %s, next to the statistics note', (min, flagged) => {
    const o = aggregateObservation(P, { metric: 'spo2', bucket: '1h', start: at, end: new Date(at.getTime() + 3_600_000), min, avg: 88, max: 95, count: 60 }, SRC);
    expect(fhirProblems(o)).toEqual([]);
    const texts = notes(o);
    expect(texts[0]).toMatch(/^Mean of 60 valid samples/);
    expect(texts.slice(1)).toEqual(flagged ? [expect.stringMatching(new RegExp(`^${LOW_CONFIDENCE_PREFIX} includes SpO2 values below 70 % \\(minimum ${min} %\\)`))] : []);
  });

  it('a pulse-rate bucket with a minimum below 70 is not flagged', () => {
    const o = aggregateObservation(P, { metric: 'pulseRate', bucket: '1h', start: at, end: new Date(at.getTime() + 3_600_000), min: 40, avg: 60, max: 80, count: 60 }, SRC);
    expect(notes(o)).toHaveLength(1);
  });
});

// Each check of test/support/fhir-r4-check.ts (R4 JSON schema, FHIR.js, hand-written) can fail.
describe('the FHIR validation itself catches mistakes', () => {
  const good = () => readingObservation(P, { deviceId: 'OX-1', metric: 'spo2', time: at, timeUs: '1', value: 93 }, SRC) as Record<string, unknown>;
  it.each<[string, (o: Record<string, unknown>) => void, RegExp[]]>([
    // The JSON schema cannot require a primitive (its _status extension could stand for it): FHIR.js does.
    ['missing status', (o) => delete o.status, [/^fhir\.js: Observation\.status: Missing property$/m]],
    ['missing code', (o) => delete o.code, [/^schema: \$: should have required property 'code'/m, /^fhir\.js: Observation\.code: Missing property$/m]],
    ['unknown status', (o) => (o.status = 'done'), [/^schema: \$\.status: should be equal to one of the allowed values \[registered, /m, /^fhir\.js: Observation\.status: Code "done" not found in value set$/m]],
    ['an element FHIR does not have', (o) => (o.patient = { reference: 'Patient/x' }), [/^schema: \$: should NOT have additional properties \(patient\)$/m, /^fhir\.js: Observation\.patient: Unexpected property$/m]],
    // The R4 schema gives complex types no "type": "object" (a string passes it): FHIR.js catches it.
    ['a subject that is not a reference', (o) => (o.subject = 'Patient/x'), [/^fhir\.js: Observation\.subject\.0: Unexpected property$/m]],
    ['a device reference to a Patient', (o) => (o.device = { reference: 'Patient/x' }), [/^fhir\.js: Observation\.device: Invalid type for reference/m]],
    ['two value[x]', (o) => (o.valueString = 'x'), [/only one of valueQuantity, valueString/]],
    ['a null', (o) => (o.issued = null), [/^schema: \$\.issued: should be string$/m, /\$\.issued: null is not allowed/]],
    ['an empty array', (o) => (o.category = []), [/\$\.category: empty array/]],
    ['a bad id', (o) => (o.id = 'has_underscore'), [/^schema: \$\.id: should match pattern/m]],
    ['a dateTime without zone', (o) => (o.effectiveDateTime = '2026-11-23T03:10:00'), [/^schema: \$\.effectiveDateTime: should match pattern/m]],
    ['SpO2 without LOINC 2708-6', (o) => ((o.code as { coding: { code: string }[] }).coding = [{ code: '59408-5', system: 'http://loinc.org' } as never]), [/code: a coding http:\/\/loinc\.org\|2708-6 is required \(R4 oxygensat/]],
    ['SpO2 in another unit', (o) => ((o.valueQuantity as { code: string }).code = '[pct]'), [/valueQuantity\.code: must be %, found \[pct\] \(R4 oxygensat: valueQuantity\.code = #%\)/]],
  ])('an Observation with %s', (_name, mutate, expected) => {
    const o = good();
    expect(fhirProblems(o)).toEqual([]);
    mutate(o);
    const problems = fhirProblems(o).join('\n');
    for (const e of expected) expect(problems).toMatch(e);
  });

  it('an invalid Observation inside a Bundle, reported at its path', () => {
    const o = good();
    o.status = 'done';
    const bundle = searchBundle([{ fullUrl: 'http://h/fhir/Observation/x', resource: o as Resource }], { self: 'http://h/fhir/Observation?patient=x' }, at);
    const problems = fhirProblems(bundle);
    expect(problems).toContain('schema: $.entry[0].resource.status: should be equal to one of the allowed values [registered, preliminary, final, amended, corrected, cancelled, entered-in-error, unknown]');
    expect(problems).toContain('fhir.js: Observation.status: Code "done" not found in value set');
  });

  it('a Bundle of an unknown type, a Patient of an unknown gender, a CapabilityStatement of another FHIR version', () => {
    const bundle = searchBundle([], { self: 'http://h/fhir/Observation?patient=x' }, at);
    expect(fhirProblems({ ...bundle, type: 'page' }).join('\n')).toMatch(/^schema: \$\.type: should be equal to one of the allowed values/m);
    expect(fhirProblems({ ...patientResource(identity(), SRC), gender: 'x' }).join('\n')).toMatch(/^fhir\.js: Patient\.gender: Code "x" not found in value set$/m);
    expect(fhirProblems({ ...capabilityStatement('http://h'), fhirVersion: '5.0.0' }).join('\n')).toMatch(/^schema: \$\.fhirVersion: should be equal to one of the allowed values/m);
  });
});

// Each profile rule of test/support/fhir-profile-rules.ts can fail, and says which FSH rule it checks.
describe('the profile rules catch what breaks a claimed profile', () => {
  type R = Record<string, unknown>;
  const obs = (metric: 'spo2' | 'respRate' | 'pulseRate' = 'spo2') => readingObservation(P, { deviceId: 'OX-1', metric, time: at, timeUs: '1', value: 30 }, SRC) as R;
  const qualified = () => patientResource(QUALIFIED, SRC) as R;
  const device = () => deviceResource({ deviceId: 'OX-1', kind: 'oximeter', patientId: P, active: true, firmware: '2.0' }, SRC) as R;
  it.each<[string, () => R, (r: R) => void, RegExp]>([
    ['SpO2 without meta.source', obs, (r) => delete (r.meta as R).source, /meta\.source: at least 1 required \(RuleSet-observations\.fsh/],
    ['SpO2 with its device a Patient', obs, (r) => (r.device = { reference: 'Patient/x' }), /device: must reference a Device.*MesFrObservationOxygenSat\.fsh: \* device only Reference\(\$PhdDevice\)/],
    ['SpO2 whose vital-signs display is not "vital-signs"', obs, (r) => (((r.category as R[])[0]!.coding as R[])[0]!.display = 'Vital Signs'), /MesFrObservationOxygenSat\.fsh: \* category\[VSCat\]\.coding\.display = "vital-signs"/],
    ['respiratory rate in another unit', () => obs('respRate'), (r) => ((r.valueQuantity as R).code = '/s'), /mesures-fr-observation-resp-rate: valueQuantity\.code: must be \/min/],
    ['heart rate without LOINC 8867-4', () => obs('pulseRate'), (r) => ((r.code as R).coding = [{ system: 'http://loinc.org', code: '8889-8' }]), /8867-4 is required \(R4 heartrate/],
    ['an Observation claiming no profile', obs, (r) => delete (r.meta as R).profile, /Observation claims no profile/],
    ['a profile the checker has no rules for', obs, (r) => ((r.meta as R).profile = ['http://example.org/p']), /claims http:\/\/example\.org\/p, which has no rules here/],
    ['an INS Patient without birth date', qualified, (r) => delete r.birthDate, /birthDate: at least 1 required \(FRCorePatientINSProfile\.fsh: \* birthDate 1\.\. MS\)/],
    ['an INS Patient without birthplace', qualified, (r) => (r.extension = (r.extension as R[]).slice(0, 1)), /extension\[birthPlace\]: at least 1 required/],
    ['an INS-NIR with the NIA system', qualified, (r) => ((r.identifier as R[])[0]!.system = 'urn:oid:1.2.250.1.213.1.4.9'), /identifier\[INS-NIR\]\.system: must be urn:oid:1\.2\.250\.1\.213\.1\.4\.8/],
    ['an INS in a plain fr-core-patient', qualified, (r) => ((r.meta as R).profile = ['https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient']), /an INS in a Patient that is not fr-core-patient-ins/],
    ['a PhdDevice of another MDS type', device, (r) => ((r.type as R).coding = [{ system: 'urn:iso:std:iso:11073:10101', code: '1' }]), /type\.coding\[MDCType\]\.code: must be 65573/],
    ['a PhdDevice without specialization', device, (r) => delete r.specialization, /specialization: at least 1 required/],
    ['a PhdDevice without manufacturer', device, (r) => delete r._manufacturer, /manufacturer: at least 1 required/],
  ])('%s', (_name, make, mutate, expected) => {
    const r = make();
    expect(fhirProblems(r)).toEqual([]);
    mutate(r);
    expect(fhirProblems(r).join('\n')).toMatch(expected);
  });
});
