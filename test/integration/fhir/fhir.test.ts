import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { SAMPLE_METRICS, SAMPLE_METRIC_NAMES } from '#domain';
import { fhirProblems, loadFhirValidators } from '../../support/fhir-r4-check.js';
import { insertReadings, regular } from '../../support/readings-fixture.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

// jest.config's testTimeout is not applied per project: hooks would get 5 s on a loaded machine.
jest.setTimeout(60000);

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function fhir(t: TestApp, path: string, token?: string): Promise<{ status: number; type: string | null; body: Json }> {
  const res = await fetch(path.startsWith('http') ? path : `${t.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as Json };
}

describe('FHIR R4 export', () => {
  let t: TestApp;
  let team: Awaited<ReturnType<TestApp['ctx']['newTeamWithPatient']>>;
  let stranger: { token: string; id: string };
  const ins = `1${String(Math.floor(Math.random() * 1e14)).padStart(14, '0')}`;

  beforeAll(async () => {
    loadFhirValidators();
    t = await startTestApp({ roles: ['api'] });
    team = await t.ctx.newTeamWithPatient();
    await t.pool.query(`UPDATE patients SET ins = $2 WHERE id = $1`, [team.patient.id, ins]);
    const p = team.patient.id;
    const d = team.device.deviceId;
    await insertReadings(t.pool, [
      ...regular({ deviceId: d, patientId: p, metric: 'spo2' }, '2026-10-05T22:00:00Z', 60_000, [95, 94, 93, 92, 91]),
      ...regular({ deviceId: d, patientId: p, metric: 'pulseRate' }, '2026-10-05T22:00:00Z', 60_000, [70, 71, 72]),
      { deviceId: d, patientId: p, metric: 'spo2', at: '2026-10-05T22:00:30Z', value: 40, signalOk: false },
      { deviceId: d, patientId: p, metric: 'spo2', at: '2026-10-06T09:00:00Z', value: 97 },
    ]);
    stranger = await t.ctx.newUser('physician', [(await t.ctx.newCareTeam()).id]);
  });
  afterAll(async () => {
    await t.close();
  });

  it('publishes a valid CapabilityStatement without a token', async () => {
    const res = await fhir(t, '/fhir/metadata');
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^application\/fhir\+json/);
    expect(res.body).toMatchObject({ resourceType: 'CapabilityStatement', fhirVersion: '4.0.1' });
    expect(fhirProblems(res.body)).toEqual([]);
  });

  it('searches SpO2 by LOINC code and date: a valid searchset Bundle of vital-signs Observations, oldest first', async () => {
    const res = await fhir(t, `/fhir/Observation?patient=Patient/${team.patient.id}&code=http://loinc.org|59408-5&date=ge2026-10-05&date=le2026-10-05`, team.physician.token);
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^application\/fhir\+json/);
    expect(fhirProblems(res.body)).toEqual([]);
    expect(res.body).toMatchObject({ resourceType: 'Bundle', type: 'searchset' });
    const obs = res.body.entry.map((e: Json) => e.resource);
    // The poor-signal sample and the 6 October one are not there.
    expect(obs.map((o: Json) => [o.effectiveDateTime, o.valueQuantity.value])).toEqual([
      ['2026-10-05T22:00:00.000Z', 95],
      ['2026-10-05T22:01:00.000Z', 94],
      ['2026-10-05T22:02:00.000Z', 93],
      ['2026-10-05T22:03:00.000Z', 92],
      ['2026-10-05T22:04:00.000Z', 91],
    ]);
    expect(obs[0]).toMatchObject({
      status: 'final',
      category: [{ coding: [{ code: 'vital-signs' }] }],
      subject: { reference: `Patient/${team.patient.id}` },
      device: { reference: `Device/${team.device.deviceId}` },
      valueQuantity: { unit: '%', system: 'http://unitsofmeasure.org', code: '%' },
    });
    expect(obs[0].code.coding.map((c: Json) => c.code)).toEqual(expect.arrayContaining(['2708-6', '59408-5', '150456']));
    expect(res.body.entry[0].fullUrl).toBe(`${t.url}/fhir/Observation/${obs[0].id}`);
    expect(res.body.link.find((l: Json) => l.relation === 'next')).toBeUndefined();
  });

  it('pages with _count and next links, without gaps or repeats', async () => {
    const seen: string[] = [];
    let url: string | undefined = `/fhir/Observation?patient=${team.patient.id}&_count=3`;
    let pages = 0;
    while (url) {
      const res = await fhir(t, url, team.physician.token);
      expect(res.status).toBe(200);
      expect(fhirProblems(res.body)).toEqual([]);
      const entries = res.body.entry ?? [];
      expect(entries.length).toBeLessThanOrEqual(3);
      for (const e of entries) seen.push(`${e.resource.effectiveDateTime} ${e.resource.code.text}`);
      url = res.body.link.find((l: Json) => l.relation === 'next')?.url;
      pages++;
    }
    // 6 SpO2 + 3 pulse valid samples, ordered by time then metric.
    expect(pages).toBe(3);
    expect(seen).toEqual([
      '2026-10-05T22:00:00.000Z Pulse rate',
      '2026-10-05T22:00:00.000Z Oxygen saturation (pulse oximetry)',
      '2026-10-05T22:01:00.000Z Pulse rate',
      '2026-10-05T22:01:00.000Z Oxygen saturation (pulse oximetry)',
      '2026-10-05T22:02:00.000Z Pulse rate',
      '2026-10-05T22:02:00.000Z Oxygen saturation (pulse oximetry)',
      '2026-10-05T22:03:00.000Z Oxygen saturation (pulse oximetry)',
      '2026-10-05T22:04:00.000Z Oxygen saturation (pulse oximetry)',
      '2026-10-06T09:00:00.000Z Oxygen saturation (pulse oximetry)',
    ]);
  });

  it('returns aggregated Observations (period, mean, min/max/count components) with bucket', async () => {
    const res = await fhir(t, `/fhir/Observation?patient=${team.patient.id}&code=2708-6,8889-8&date=ge2026-10-05T00:00:00Z&date=lt2026-10-07&bucket=1h`, team.physician.token);
    expect(res.status).toBe(200);
    expect(fhirProblems(res.body)).toEqual([]);
    const obs = res.body.entry.map((e: Json) => e.resource);
    expect(obs.map((o: Json) => [o.effectivePeriod.start, o.effectivePeriod.end, o.code.text, o.valueQuantity.value, o.component.map((c: Json) => c.valueQuantity?.value ?? c.valueInteger)])).toEqual([
      ['2026-10-05T22:00:00.000Z', '2026-10-05T23:00:00.000Z', 'Pulse rate', 71, [70, 72, 3]],
      ['2026-10-05T22:00:00.000Z', '2026-10-05T23:00:00.000Z', 'Oxygen saturation (pulse oximetry)', 93, [91, 95, 5]],
      ['2026-10-06T09:00:00.000Z', '2026-10-06T10:00:00.000Z', 'Oxygen saturation (pulse oximetry)', 97, [97, 97, 1]],
    ]);
    const paged = await fhir(t, `/fhir/Observation?patient=${team.patient.id}&code=2708-6,8889-8&date=ge2026-10-05&date=lt2026-10-07&bucket=1h&_count=2`, team.physician.token);
    expect(paged.body.entry).toHaveLength(2);
    expect(fhirProblems(paged.body)).toEqual([]);
    const next = await fhir(t, paged.body.link.find((l: Json) => l.relation === 'next').url, team.physician.token);
    expect(fhirProblems(next.body)).toEqual([]);
    expect(next.body.entry.map((e: Json) => e.resource.effectivePeriod.start)).toEqual(['2026-10-06T09:00:00.000Z']);
  });

  it('flags SpO2 below 70 % as low confidence with an Observation.note, raw and bucketed, still valid vital signs', async () => {
    const patient = await t.ctx.newPatient(team.team.id);
    const device = await t.ctx.newDevice(patient.id);
    const base = { deviceId: device.deviceId, patientId: patient.id };
    await insertReadings(t.pool, [
      ...regular({ ...base, metric: 'spo2' }, '2026-10-08T03:00:00Z', 60_000, [95, 65, 70, 69.5]),
      ...regular({ ...base, metric: 'pulseRate' }, '2026-10-08T03:00:00Z', 60_000, [55]),
    ]);
    const notes = (o: Json): string[] => (o.note ?? []).map((n: Json) => n.text);
    const raw = await fhir(t, `/fhir/Observation?patient=${patient.id}&date=ge2026-10-08&date=lt2026-10-09`, team.physician.token);
    expect(raw.status).toBe(200);
    expect(fhirProblems(raw.body)).toEqual([]);
    const obs = raw.body.entry.map((e: Json) => e.resource);
    expect(obs.map((o: Json) => [o.code.text, o.valueQuantity.value, o.status, notes(o)])).toEqual([
      ['Pulse rate', 55, 'final', []],
      ['Oxygen saturation (pulse oximetry)', 95, 'final', []],
      ['Oxygen saturation (pulse oximetry)', 65, 'final', [expect.stringMatching(/^Low confidence: SpO2 below 70 %/)]],
      ['Oxygen saturation (pulse oximetry)', 70, 'final', []],
      ['Oxygen saturation (pulse oximetry)', 69.5, 'final', [expect.stringMatching(/^Low confidence: SpO2 below 70 %/)]],
    ]);
    const bucketed = await fhir(t, `/fhir/Observation?patient=${patient.id}&code=2708-6,8889-8&date=ge2026-10-08&date=lt2026-10-09&bucket=1h`, team.physician.token);
    expect(fhirProblems(bucketed.body)).toEqual([]);
    const buckets = bucketed.body.entry.map((e: Json) => e.resource);
    expect(buckets.map((o: Json) => [o.code.text, notes(o).length])).toEqual([
      ['Pulse rate', 1],
      ['Oxygen saturation (pulse oximetry)', 2],
    ]);
    expect(notes(buckets[1])[1]).toMatch(/^Low confidence: includes SpO2 values below 70 % \(minimum 65 %\)/);
  });

  it('exports every metric of the catalogue, raw and bucketed, each Observation in its claimed profile', async () => {
    const patient = await t.ctx.newPatient(team.team.id);
    const device = await t.ctx.newDevice(patient.id, 'ventilator');
    await insertReadings(
      t.pool,
      SAMPLE_METRIC_NAMES.map((metric) => ({ deviceId: device.deviceId, patientId: patient.id, metric, at: '2026-10-09T01:00:00Z', value: Math.max(SAMPLE_METRICS[metric].min, 1) })),
    );
    const profiles = new Map<string, string>();
    for (const query of ['', '&bucket=1h']) {
      const res = await fhir(t, `/fhir/Observation?patient=${patient.id}&date=ge2026-10-09&date=lt2026-10-10${query}`, team.physician.token);
      expect(res.status).toBe(200);
      expect(fhirProblems(res.body)).toEqual([]);
      expect(res.body.entry).toHaveLength(SAMPLE_METRIC_NAMES.length);
      for (const e of res.body.entry) {
        expect(e.resource.meta.source).toBe(`${t.url}/fhir`);
        profiles.set(e.resource.code.text, e.resource.meta.profile[0].split('/').pop());
      }
    }
    expect(profiles.get('Oxygen saturation (pulse oximetry)')).toBe('mesures-fr-observation-oxygen-sat');
    expect(profiles.get('Pulse rate')).toBe('mesures-fr-observation-heartrate');
    expect(profiles.get('Respiratory rate')).toBe('mesures-fr-observation-resp-rate');
    expect(profiles.get('Unintentional leak')).toBe('vitalsigns');
  });

  it('reads the Patient in FR Core: a provisional identity without its INS, a qualified one in fr-core-patient-ins with it', async () => {
    const provisional = await fhir(t, `/fhir/Patient/${team.patient.id}`, team.nurse.token);
    expect(provisional.status).toBe(200);
    expect(fhirProblems(provisional.body)).toEqual([]);
    expect(provisional.body.meta).toEqual({ source: `${t.url}/fhir`, profile: ['https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient'] });
    expect(JSON.stringify(provisional.body)).not.toContain(ins);
    expect(provisional.body.identifier).toEqual([expect.objectContaining({ system: 'urn:telemonitoring:patient-id', value: team.patient.id })]);

    const patient = await t.ctx.newPatient(team.team.id);
    const qualifiedIns = `2${String(Math.floor(Math.random() * 1e14)).padStart(14, '0')}`;
    await t.pool.query(
      `UPDATE patients SET ins = $2, ins_oid = '1.2.250.1.213.1.4.8', identity_status = 'qualified', birth_name = 'DUPONT', first_names = '{Marie,Claire}',
              birth_date = '1979-03-12', sex = 'F', birthplace_code = '51215' WHERE id = $1`,
      [patient.id, qualifiedIns],
    );
    const qualified = await fhir(t, `/fhir/Patient/${patient.id}`, team.nurse.token);
    expect(qualified.status).toBe(200);
    expect(fhirProblems(qualified.body)).toEqual([]);
    expect(qualified.body.meta.profile).toEqual(['https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient-ins']);
    expect(qualified.body.identifier[0]).toMatchObject({ use: 'official', system: 'urn:oid:1.2.250.1.213.1.4.8', value: qualifiedIns });
    expect(qualified.body).toMatchObject({ gender: 'female', birthDate: '1979-03-12', name: [{ use: 'official', family: 'DUPONT', given: ['Marie'] }] });
  });

  it('reads the Device in the PHD profile, the one every exported Observation references', async () => {
    const device = await fhir(t, `/fhir/Device/${team.device.deviceId}`, team.physician.token);
    expect(device.status).toBe(200);
    expect(fhirProblems(device.body)).toEqual([]);
    expect(device.body).toMatchObject({
      resourceType: 'Device',
      meta: { source: `${t.url}/fhir`, profile: ['http://hl7.org/fhir/uv/phd/StructureDefinition/PhdDevice'] },
      serialNumber: team.device.deviceId,
      patient: { reference: `Patient/${team.patient.id}` },
    });
    const search = await fhir(t, `/fhir/Observation?patient=${team.patient.id}`, team.physician.token);
    const references = new Set<string>(search.body.entry.map((e: Json) => e.resource.device.reference));
    expect([...references]).toEqual([`Device/${team.device.deviceId}`]);
    for (const ref of references) {
      const res = await fhir(t, `/fhir/${ref}`, team.physician.token);
      expect(res.body.meta.profile).toContain('http://hl7.org/fhir/uv/phd/StructureDefinition/PhdDevice');
    }
  });

  it('the validation rejects what the server returns once broken (so the checks above can fail)', async () => {
    const res = await fhir(t, `/fhir/Observation?patient=${team.patient.id}&code=2708-6&_count=2`, team.physician.token);
    expect(fhirProblems(res.body)).toEqual([]);
    delete res.body.entry[0].resource.status;
    res.body.entry[1].resource.valueQuantity.code = '[pct]';
    res.body.link[0].url = 'not a uri';
    expect(fhirProblems(res.body)).toEqual([
      'schema: $.link[0].url: should match pattern "^\\S*$"',
      'fhir.js: Observation.status: Missing property',
      '$.entry[0].resource: mesures-fr-observation-oxygen-sat: status: at least 1 required (R4 vitalsigns (hl7.org/fhir/R4/vitalsigns): status 1..1)',
      '$.entry[1].resource: mesures-fr-observation-oxygen-sat: valueQuantity.code: must be %, found [pct] (R4 oxygensat: valueQuantity.code = #%)',
    ]);
    const capability = (await fhir(t, '/fhir/metadata')).body;
    capability.kind = 'server';
    expect(fhirProblems(capability)).toEqual([expect.stringMatching(/^schema: \$\.kind: should be equal to one of the allowed values/), expect.stringMatching(/^fhir\.js: CapabilityStatement\.kind: Code "server" not found/)]);
  });

  it('answers 404 OperationOutcome to a physician of another team, and 401 without a token', async () => {
    for (const path of [`/fhir/Observation?patient=${team.patient.id}`, `/fhir/Patient/${team.patient.id}`, `/fhir/Device/${team.device.deviceId}`, '/fhir/Patient/not-a-uuid', '/fhir/Device/NOPE-1']) {
      const res = await fhir(t, path, stranger.token);
      expect(res.status).toBe(404);
      expect(res.type).toMatch(/^application\/fhir\+json/);
      expect(res.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] });
      expect(fhirProblems(res.body)).toEqual([]);
      expect(JSON.stringify(res.body)).not.toContain(ins);
    }
    const anonymous = await fhir(t, `/fhir/Patient/${team.patient.id}`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'login' }] });
    expect(fhirProblems(anonymous.body)).toEqual([]);
    const denied = await t.pool.query(`SELECT action FROM audit_log WHERE actor_id = $1 AND outcome = 'denied' ORDER BY id`, [stranger.id]);
    expect(denied.rows.map((r) => r.action)).toEqual(['fhir.observation.search', 'fhir.patient.read', 'fhir.device.read']);
  });

  it.each([
    ['no patient', '/fhir/Observation?code=2708-6', 400, 'invalid'],
    ['a bad date', '/fhir/Observation?patient=PID&date=ge2026-13', 400, 'invalid'],
    ['an unsupported prefix', '/fhir/Observation?patient=PID&date=ne2026-10-05', 400, 'invalid'],
    ['a forged cursor', '/fhir/Observation?patient=PID&_cursor=xyz', 400, 'invalid'],
    ['too many buckets', '/fhir/Observation?patient=PID&bucket=1m&date=ge2026-09-01&date=lt2026-10-01', 400, 'too-costly'],
  ])('refuses %s with an OperationOutcome', async (_name, path, status, code) => {
    const res = await fhir(t, path.replace('PID', team.patient.id), team.physician.token);
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code }] });
    expect(fhirProblems(res.body)).toEqual([]);
  });

  it('audits each FHIR read of the patient', async () => {
    const { rows } = await t.pool.query(
      `SELECT DISTINCT action FROM audit_log WHERE patient_id = $1 AND outcome = 'success' AND action LIKE 'fhir.%' ORDER BY action`,
      [team.patient.id],
    );
    expect(rows.map((r) => r.action)).toEqual(['fhir.device.read', 'fhir.observation.search', 'fhir.patient.read']);
  });
});
