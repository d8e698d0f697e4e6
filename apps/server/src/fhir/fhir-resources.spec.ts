import { describe, expect, it } from '@jest/globals';
import { SAMPLE_METRIC_NAMES } from '#domain';
import { fhirProblems } from '../../../../test/support/fhir-r4-check.js';
import { deviceFhirId, deviceIdFromFhir, metricCoding } from './fhir-codes.js';
import {
  aggregateObservation,
  capabilityStatement,
  deviceResource,
  LOW_CONFIDENCE_NOTE,
  LOW_CONFIDENCE_PREFIX,
  operationOutcome,
  patientResource,
  readingObservation,
  searchBundle,
  type Resource,
} from './fhir-resources.js';

const P = '2b7e2c4e-5a7e-4d0a-9f59-7d1f6a0c1e11';
const at = new Date('2026-11-23T03:10:00.000Z');

describe('FHIR resources (R4 structure)', () => {
  it.each(SAMPLE_METRIC_NAMES)('a raw %s sample is a valid Observation', (metric) => {
    const o = readingObservation(P, { deviceId: 'OX_12-a', metric, time: at, timeUs: '1795403400000000', value: 42 });
    expect(fhirProblems(o)).toEqual([]);
    expect(o).toMatchObject({ subject: { reference: `Patient/${P}` }, device: { reference: 'Device/OX.12-a' }, effectiveDateTime: at.toISOString() });
  });

  it.each(SAMPLE_METRIC_NAMES)('a %s bucket is a valid Observation with a period, the mean and min/max/count components', (metric) => {
    const o = aggregateObservation(P, { metric, bucket: '1h', start: at, end: new Date(at.getTime() + 3_600_000), min: 1, avg: 2.5, max: 4, count: 3600 });
    expect(fhirProblems(o)).toEqual([]);
    expect(o).toMatchObject({ effectivePeriod: { start: at.toISOString() }, valueQuantity: { value: 2.5 } });
    expect((o.component as { valueQuantity?: { value: number }; valueInteger?: number }[]).map((c) => c.valueQuantity?.value ?? c.valueInteger)).toEqual([1, 4, 3600]);
  });

  it('codes SpO2 with LOINC 2708-6 and 59408-5, MDC 150456 and UCUM %, in the oxygensat vital-signs profile', () => {
    const o = readingObservation(P, { deviceId: 'OX-1', metric: 'spo2', time: at, timeUs: '1', value: 93 });
    expect(o).toMatchObject({
      meta: { profile: ['http://hl7.org/fhir/StructureDefinition/oxygensat'] },
      status: 'final',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
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

  it.each(['provisional', 'recovered', 'validated'] as const)('a %s identity: the Patient carries no INS', (identityStatus) => {
    const patient = patientResource({ id: P, displayName: 'A B', ins: '255081416802538', insOid: '1.2.250.1.213.1.4.8', identityStatus });
    expect(patient.identifier).toBeUndefined();
    expect(JSON.stringify(patient)).not.toContain('255081416802538');
  });

  it('builds valid Patient (INS when qualified, with its authority), Device, Bundle, OperationOutcome and CapabilityStatement', () => {
    const withIns = patientResource({ id: P, displayName: 'A B', ins: '123456789012345', insOid: '1.2.250.1.213.1.4.9', identityStatus: 'qualified' });
    expect(withIns.identifier).toEqual([{ use: 'official', system: 'urn:oid:1.2.250.1.213.1.4.9', value: '123456789012345' }]);
    const resources: Resource[] = [
      withIns,
      patientResource({ id: P, displayName: 'A B', ins: null, identityStatus: 'provisional' }),
      deviceResource({ deviceId: 'VE_1', kind: 'ventilator', patientId: P, active: true, firmware: '1.2.3' }),
      deviceResource({ deviceId: 'OX-1', kind: 'oximeter', patientId: P, active: false, firmware: null }),
      searchBundle([{ fullUrl: 'http://h/fhir/Patient/x', resource: withIns }], { self: 'http://h/fhir/Observation?patient=x', next: 'http://h/n' }, at),
      searchBundle([], { self: 'http://h/fhir/Observation?patient=x' }, at),
      operationOutcome('not-found', 'NOT_FOUND: patient not found'),
      capabilityStatement('http://h'),
    ];
    for (const r of resources) expect(fhirProblems(r)).toEqual([]);
  });

  it('codes the oxygen flow with LOINC 3151-8 (inhaled oxygen flow rate) in L/min, as therapy; a concentrator is a Device', () => {
    const raw = readingObservation(P, { deviceId: 'OC-1', metric: 'o2Flow', time: at, timeUs: '1', value: 2.5 });
    expect(fhirProblems(raw)).toEqual([]);
    const obs = raw as unknown as { code: { coding: { code: string; display?: string }[] }; valueQuantity: unknown; category: { coding: { code: string }[] }[] };
    expect(obs.code.coding[0]).toMatchObject({ code: '3151-8', display: 'Inhaled oxygen flow rate' });
    expect(obs.valueQuantity).toMatchObject({ value: 2.5, code: 'L/min', system: 'http://unitsofmeasure.org' });
    expect(obs.category[0]!.coding[0]!.code).not.toBe('vital-signs');
    const device = deviceResource({ deviceId: 'OC-1', kind: 'concentrator', patientId: P, active: true, firmware: '3.0.2' });
    expect(fhirProblems(device)).toEqual([]);
    expect(device).toMatchObject({ type: { text: 'Home oxygen concentrator' } });
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
  const raw = (metric: 'spo2' | 'pulseRate', value: number) => readingObservation(P, { deviceId: 'OX-1', metric, time: at, timeUs: '1', value });

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
    expect(o).toMatchObject({ status: 'final', valueQuantity: { value, code: '%' }, meta: { profile: ['http://hl7.org/fhir/StructureDefinition/oxygensat'] } });
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
    const o = aggregateObservation(P, { metric: 'spo2', bucket: '1h', start: at, end: new Date(at.getTime() + 3_600_000), min, avg: 88, max: 95, count: 60 });
    expect(fhirProblems(o)).toEqual([]);
    const texts = notes(o);
    expect(texts[0]).toMatch(/^Mean of 60 valid samples/);
    expect(texts.slice(1)).toEqual(flagged ? [expect.stringMatching(new RegExp(`^${LOW_CONFIDENCE_PREFIX} includes SpO2 values below 70 % \\(minimum ${min} %\\)`))] : []);
  });

  it('a pulse-rate bucket with a minimum below 70 is not flagged', () => {
    const o = aggregateObservation(P, { metric: 'pulseRate', bucket: '1h', start: at, end: new Date(at.getTime() + 3_600_000), min: 40, avg: 60, max: 80, count: 60 });
    expect(notes(o)).toHaveLength(1);
  });
});

// Each check of test/support/fhir-r4-check.ts (R4 JSON schema, FHIR.js, hand-written) can fail.
describe('the FHIR validation itself catches mistakes', () => {
  const good = () => readingObservation(P, { deviceId: 'OX-1', metric: 'spo2', time: at, timeUs: '1', value: 93 }) as Record<string, unknown>;
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
    ['SpO2 without LOINC 2708-6', (o) => ((o.code as { coding: { code: string }[] }).coding = [{ code: '59408-5', system: 'http://loinc.org' } as never]), [/requires LOINC 2708-6/]],
    ['SpO2 in another unit', (o) => ((o.valueQuantity as { code: string }).code = '[pct]'), [/UCUM %/]],
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
    expect(fhirProblems({ ...patientResource({ id: P, displayName: 'A', ins: null, identityStatus: 'provisional' }), gender: 'x' }).join('\n')).toMatch(/^fhir\.js: Patient\.gender: Code "x" not found in value set$/m);
    expect(fhirProblems({ ...capabilityStatement('http://h'), fhirVersion: '5.0.0' }).join('\n')).toMatch(/^schema: \$\.fhirVersion: should be equal to one of the allowed values/m);
  });
});
