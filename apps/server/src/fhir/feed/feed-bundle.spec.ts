import { describe, expect, it } from '@jest/globals';
import { fhirProblems } from '../../../../../test/support/fhir-r4-check.js';
import { checkSubjects, entryProblems, FeedError, kindOfDevice, metricOfCode, readFeedBundle, responseBundle, transactionOutcome } from './feed-bundle.js';

type Json = Record<string, unknown>;
const AT = '2026-11-23T03:10:00.000Z';
const obs = (over: Json = {}): Json => ({
  resource: {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '59408-5' }] },
    effectiveDateTime: AT,
    valueQuantity: { value: 93, unit: '%', system: 'http://unitsofmeasure.org', code: '%' },
    device: { reference: 'Device/OX-1' },
    ...over,
  },
  request: { method: 'POST', url: 'Observation' },
});
const device = (over: Json = {}): Json => ({
  fullUrl: 'urn:uuid:d',
  resource: { resourceType: 'Device', identifier: [{ system: 'urn:telemonitoring:device-serial', value: 'OX-1' }], ...over },
  request: { method: 'POST', url: 'Device' },
});
const bundle = (entry: unknown[], type = 'transaction'): Json => ({ resourceType: 'Bundle', type, entry });

describe('inbound feed Bundle → device protocol samples', () => {
  it.each([
    [[{ system: 'http://loinc.org', code: '59408-5' }], 'spo2'],
    [[{ system: 'http://loinc.org', code: '2708-6' }], 'spo2'],
    [[{ system: 'urn:iso:std:iso:11073:10101', code: '150456' }], 'spo2'],
    [[{ system: 'http://loinc.org', code: '8867-4' }], 'pulseRate'],
    [[{ system: 'http://loinc.org', code: '9279-1' }], 'respRate'],
    [[{ system: 'urn:telemonitoring:metric', code: 'leak' }], 'leak'],
    [[{ system: 'http://example.org', code: '59408-5' }], undefined],
    [[{ code: '59408-5' }], undefined],
  ])('the code %j is the metric %s', (coding, metric) => {
    expect(metricOfCode({ coding })).toBe(metric);
  });

  it('an Observation becomes the sample MQTT would carry, for the Device entry it references', () => {
    const b = readFeedBundle(bundle([obs(), obs({ device: { reference: 'urn:uuid:d' } }), device()]));
    expect(b).toMatchObject({ type: 'transaction', deviceId: 'OX-1', deviceEntries: [2] });
    expect(b.observations.map((o) => [o.index, o.sample, o.problem])).toEqual([
      [0, { at: AT, spo2: 93 }, undefined],
      [1, { at: AT, spo2: 93 }, undefined],
    ]);
  });

  it.each<[string, Json, string, RegExp]>([
    ['an unknown code', { code: { coding: [{ system: 'http://loinc.org', code: '1234-5' }] } }, 'not-supported', /^code:http:\/\/loinc\.org\|1234-5$/],
    ['another unit', { valueQuantity: { value: 0.93, system: 'http://unitsofmeasure.org', code: '1' } }, 'invalid', /^spo2$/],
    ['no value', { valueQuantity: undefined }, 'invalid', /^spo2$/],
    ['a preliminary status', { status: 'preliminary' }, 'invalid', /^status:preliminary$/],
    ["another device's reference", { device: { reference: 'Device/OTHER' } }, 'forbidden', /^device:Device\/OTHER$/],
  ])('%s: a problem, and a sample the protocol rejects (its field: %s)', (_name, over, issue, field) => {
    const [o] = readFeedBundle(bundle([obs(over), device()])).observations;
    expect(o!.problem?.issue).toBe(issue);
    expect(Object.keys(o!.sample).filter((k) => k !== 'at')).toEqual([expect.stringMatching(field)]);
  });

  it.each<[string, unknown, RegExp]>([
    ['not a Bundle', { resourceType: 'Patient' }, /must be a FHIR Bundle/],
    ['a collection', bundle([obs()], 'collection'), /transaction or batch/],
    ['no entries', bundle([]), /Bundle.entry is required/],
    ['a Patient entry', bundle([{ resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } }]), /only Observation and Device/],
    ['a PUT', bundle([{ ...obs(), request: { method: 'PUT', url: 'Observation/1' } }]), /request must be POST Observation/],
    ['two Devices', bundle([obs(), device(), device()]), /at most one Device/],
    ['a Device without identifier', bundle([obs(), device({ identifier: undefined })]), /no identifier/],
    ['only a Device', bundle([device()]), /at least one Observation/],
    ['1001 Observations', bundle(Array.from({ length: 1001 }, () => obs())), /at most 1000/],
    ['an entry without resource', bundle([{ request: { method: 'POST', url: 'Observation' } }]), /has no resource/],
  ])('refuses %s', (_name, doc, message) => {
    expect(() => readFeedBundle(doc)).toThrow(FeedError);
    expect(() => readFeedBundle(doc)).toThrow(message);
  });

  it("refuses an Observation whose literal subject is not the device's patient; others are the device's", () => {
    const b = readFeedBundle(bundle([obs({ subject: { reference: 'Patient/p1' } }), obs({ subject: { reference: 'Patient/p2' } }), obs({ subject: { reference: 'urn:uuid:x' } }), obs(), device()]));
    const checked = checkSubjects(b, 'p1');
    expect(checked.observations.map((o) => o.problem?.issue)).toEqual([undefined, 'forbidden', undefined, undefined]);
    expect(checked.observations[1]!.sample).toEqual({ at: AT, 'subject:Patient/p2': 93 });
  });

  it('reads the kind from the PHD specialization or type', () => {
    const mdc = (code: string) => ({ coding: [{ system: 'urn:iso:std:iso:11073:10101', code }] });
    expect(kindOfDevice({ specialization: [{ systemType: mdc('528388') }] })).toBe('oximeter');
    expect(kindOfDevice({ type: mdc('528386') })).toBe('ventilator');
    expect(kindOfDevice({ type: mdc('65573') })).toBeUndefined();
  });

  it('answers valid FHIR: a transaction-response, a batch-response with OperationOutcomes, a transaction OperationOutcome', () => {
    const b = readFeedBundle(bundle([obs(), obs({ valueQuantity: { value: 1, system: 'http://unitsofmeasure.org', code: '1' } }), device()], 'batch'));
    const problems = entryProblems(b, [{ kind: 'sample', index: 0, reason: 'out-of-range', detail: 'spo2 150 not in 0–100' }]);
    expect([...problems.keys()]).toEqual([1, 0]);
    const response = responseBundle(b, 3, problems, new Date(AT));
    expect(fhirProblems(response)).toEqual([]);
    expect((response.entry as { response: { status: string } }[]).map((e) => e.response.status)).toEqual(['400 Bad Request', '400 Bad Request', '200 OK']);
    const outcome = transactionOutcome(problems);
    expect(fhirProblems(outcome)).toEqual([]);
    expect(outcome.issue).toEqual([
      expect.objectContaining({ code: 'invalid', expression: ['Bundle.entry[1]'] }),
      expect.objectContaining({ code: 'invalid', diagnostics: 'out-of-range: spo2 150 not in 0–100', expression: ['Bundle.entry[0]'] }),
    ]);
  });
});

describe('the feed profile rules (MesBundleFluxAlimentation.fsh) catch a Bundle that does not follow it', () => {
  const FEED = 'https://interop.esante.gouv.fr/ig/fhir/mesures/StructureDefinition/mesures-bundle-flux-alimentation';
  const claimed = (type: string, entry: unknown[]) => ({ resourceType: 'Bundle', meta: { profile: [FEED] }, type, entry });
  it.each<[string, unknown, RegExp]>([
    ['a batch', claimed('batch', [obs()]), /type: must be transaction, found batch \(MesBundleFluxAlimentation\.fsh: \* type = #transaction\)/],
    ['an Observation outside the feed profiles', claimed('transaction', [obs()]), /entry\[mes-observation\]\.resource: not one of the feed's Observation profiles/],
    ['two Observations (mes-observation 1..1)', claimed('transaction', [obs(), obs()]), /entry\[mes-observation\]: at most 1 allowed/],
    ['a Device that is not a PhdDevice', claimed('transaction', [obs(), device()]), /entry\[mes-device\]\.resource: not a PhdDevice/],
  ])('%s', (_name, doc, expected) => {
    expect(fhirProblems(doc).join('\n')).toMatch(expected);
  });
});
