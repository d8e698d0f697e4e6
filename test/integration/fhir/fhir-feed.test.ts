import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { deviceResource, readingObservation } from '../../../apps/server/src/fhir/fhir-resources.js';
import { IngestService } from '../../../apps/server/src/ingest/ingest.service.js';
import { fhirProblems, loadFhirValidators } from '../../support/fhir-r4-check.js';
import { eventually, startTestApp, type TestApp } from '../../support/test-app.js';
import { connectPublisher, countReadings, publishReadings, readingsOf, rejectionsOf } from '../ingest/ingest-support.js';

jest.setTimeout(90000);

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const FEED = 'https://interop.esante.gouv.fr/ig/fhir/mesures/StructureDefinition/mesures-bundle-flux-alimentation';
const CODES = {
  spo2: { system: 'http://loinc.org', code: '59408-5', unit: '%' },
  pulseRate: { system: 'http://loinc.org', code: '8867-4', unit: '/min' },
  respRate: { system: 'http://loinc.org', code: '9279-1', unit: '/min' },
} as const;

function observation(deviceId: string, metric: keyof typeof CODES, at: number, value: number): Json {
  const c = CODES[metric];
  return {
    fullUrl: `urn:uuid:${randomUUID()}`,
    resource: {
      resourceType: 'Observation',
      status: 'final',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
      code: { coding: [{ system: c.system, code: c.code }] },
      effectiveDateTime: new Date(at).toISOString(),
      valueQuantity: { value, unit: c.unit, system: 'http://unitsofmeasure.org', code: c.unit },
      device: { reference: `Device/${deviceId}` },
    },
    request: { method: 'POST', url: 'Observation' },
  };
}

function bundle(type: 'transaction' | 'batch', deviceId: string, observations: Json[]): Json {
  return {
    resourceType: 'Bundle',
    meta: { profile: [FEED] },
    type,
    entry: [
      ...observations,
      {
        fullUrl: `urn:uuid:${randomUUID()}`,
        resource: { resourceType: 'Device', id: deviceId, identifier: [{ system: 'urn:telemonitoring:device-serial', value: deviceId }] },
        request: { method: 'POST', url: 'Device' },
      },
    ],
  };
}

const basic = (d: { deviceId: string; secret: string }) => `Basic ${Buffer.from(`${d.deviceId}:${d.secret}`).toString('base64')}`;

describe('inbound FHIR: POST /fhir with a feed Bundle, through the MQTT ingestion path', () => {
  let t: TestApp;
  let team: Awaited<ReturnType<TestApp['ctx']['newTeamWithPatient']>>;
  const minuteAgo = () => Math.floor((Date.now() - 120_000) / 1000) * 1000;

  async function post(body: unknown, authorization?: string, contentType = 'application/fhir+json'): Promise<{ status: number; type: string | null; body: Json }> {
    const res = await fetch(`${t.url}/fhir`, {
      method: 'POST',
      headers: { 'content-type': contentType, ...(authorization ? { authorization } : {}) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as Json };
  }

  beforeAll(async () => {
    loadFhirValidators();
    t = await startTestApp({ roles: ['api', 'ingest'], env: { INGEST_BATCH_MAX_DELAY_MS: '10' } });
    await eventually(async () => t.app.get(IngestService).connectedCount > 0, 15000);
    team = await t.ctx.newTeamWithPatient();
  });
  afterAll(async () => {
    await t.close();
  });

  it('a transaction: every Observation stored as a reading of the device, transaction-response with 201s; a replay stores nothing twice', async () => {
    const device = await t.ctx.newDevice(team.patient.id);
    const at = minuteAgo();
    const b = bundle('transaction', device.deviceId, [observation(device.deviceId, 'spo2', at, 94), observation(device.deviceId, 'pulseRate', at, 71), observation(device.deviceId, 'respRate', at, 17)]);
    const res = await post(b, basic(device));
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^application\/fhir\+json/);
    expect(fhirProblems(res.body)).toEqual([]);
    expect(res.body).toMatchObject({ resourceType: 'Bundle', type: 'transaction-response' });
    expect(res.body.entry.map((e: Json) => e.response.status)).toEqual(['201 Created', '201 Created', '201 Created', '200 OK']);
    const stored = await readingsOf(t, device.deviceId);
    expect(stored.map((r) => [r.metric, r.ms, r.value, r.patient_id])).toEqual([
      ['pulseRate', at, 71, team.patient.id],
      ['respRate', at, 17, team.patient.id],
      ['spo2', at, 94, team.patient.id],
    ]);
    expect((await post(b, basic(device))).status).toBe(200);
    expect(await countReadings(t, device.deviceId)).toBe(3);
    const audit = await t.pool.query(`SELECT actor_role, outcome, details FROM audit_log WHERE action = 'fhir.feed.bundle' AND target_id = $1 ORDER BY id`, [device.deviceId]);
    expect(audit.rows).toEqual([
      { actor_role: 'device', outcome: 'success', details: { type: 'transaction', observations: 3, refusedEntries: 0 } },
      { actor_role: 'device', outcome: 'success', details: { type: 'transaction', observations: 3, refusedEntries: 0 } },
    ]);
  });

  it('a Bundle that follows the feed profile (an ANS SpO2 Observation and its PhdDevice, as this server exports them) is valid FHIR and stored', async () => {
    const device = await t.ctx.newDevice(team.patient.id);
    const at = minuteAgo();
    const source = 'urn:oid:1.2.250.1.999.1';
    const b = {
      resourceType: 'Bundle',
      meta: { profile: [FEED] },
      type: 'transaction',
      entry: [
        {
          fullUrl: `urn:uuid:${randomUUID()}`,
          resource: readingObservation(team.patient.id, { deviceId: device.deviceId, metric: 'spo2', time: new Date(at), timeUs: `${at}000`, value: 91 }, source),
          request: { method: 'POST', url: 'Observation' },
        },
        {
          fullUrl: `urn:uuid:${randomUUID()}`,
          resource: deviceResource({ deviceId: device.deviceId, kind: 'oximeter', patientId: team.patient.id, active: true, firmware: '1.0.0' }, source),
          request: { method: 'POST', url: 'Device' },
        },
      ],
    };
    expect(fhirProblems(b)).toEqual([]);
    const res = await post(b, basic(device));
    expect(res.status).toBe(200);
    expect(res.body.entry.map((e: Json) => e.response.status)).toEqual(['201 Created', '200 OK']);
    expect((await readingsOf(t, device.deviceId)).map((r) => [r.metric, r.ms, r.value])).toEqual([['spo2', at, 91]]);
  });

  it('a transaction with one bad entry: 400 OperationOutcome naming it, nothing stored, the entry recorded as a rejection', async () => {
    const device = await t.ctx.newDevice(team.patient.id);
    const at = minuteAgo();
    const res = await post(bundle('transaction', device.deviceId, [observation(device.deviceId, 'spo2', at, 94), observation(device.deviceId, 'spo2', at + 1000, 150)]), basic(device));
    expect(res.status).toBe(400);
    expect(fhirProblems(res.body)).toEqual([]);
    expect(res.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'invalid', expression: ['Bundle.entry[1]'] }] });
    expect(res.body.issue).toHaveLength(1);
    expect(await countReadings(t, device.deviceId)).toBe(0);
    const rejections = await rejectionsOf(t, device.deviceId);
    expect(rejections.map((r) => r.reason)).toEqual(['out-of-range']);
    expect(rejections[0]!.excerpt).toContain('150');
  });

  it('a batch: each entry on its own (batch-response), the bad one with its OperationOutcome and a rejection, the others stored; a replay stores nothing twice', async () => {
    const device = await t.ctx.newDevice(team.patient.id);
    const at = minuteAgo();
    const b = bundle('batch', device.deviceId, [
      observation(device.deviceId, 'spo2', at, 93),
      observation(device.deviceId, 'spo2', at + 1000, 150),
      { ...observation(device.deviceId, 'pulseRate', at, 70), resource: { ...observation(device.deviceId, 'pulseRate', at, 70).resource, device: { reference: 'Device/SOMEONE-ELSE' } } },
      observation(device.deviceId, 'pulseRate', at + 1000, 72),
    ]);
    const res = await post(b, basic(device));
    expect(res.status).toBe(200);
    expect(fhirProblems(res.body)).toEqual([]);
    expect(res.body.type).toBe('batch-response');
    expect(res.body.entry.map((e: Json) => e.response.status)).toEqual(['201 Created', '400 Bad Request', '403 Forbidden', '201 Created', '200 OK']);
    expect(res.body.entry[1].response.outcome).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'invalid', diagnostics: expect.stringMatching(/^out-of-range/) }] });
    expect(res.body.entry[2].response.outcome).toMatchObject({ issue: [{ code: 'forbidden' }] });
    expect((await readingsOf(t, device.deviceId)).map((r) => [r.metric, r.value])).toEqual([
      ['spo2', 93],
      ['pulseRate', 72],
    ]);
    expect((await rejectionsOf(t, device.deviceId)).map((r) => r.reason).sort()).toEqual(['out-of-range', 'unknown-field']);
    expect((await post(b, basic(device))).status).toBe(200);
    expect(await countReadings(t, device.deviceId)).toBe(2);
  });

  it("an Observation whose subject is another patient than the device's is refused, not filed under the device's patient", async () => {
    const device = await t.ctx.newDevice(team.patient.id);
    const stranger = await t.ctx.newPatient((await t.ctx.newCareTeam()).id);
    const at = minuteAgo();
    const withSubject = (patientId: string, when: number) => {
      const o = observation(device.deviceId, 'spo2', when, 92);
      o.resource.subject = { reference: `Patient/${patientId}` };
      return o;
    };
    const refused = await post(bundle('transaction', device.deviceId, [withSubject(team.patient.id, at), withSubject(stranger.id, at + 1000)]), basic(device));
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ issue: [{ code: 'forbidden', expression: ['Bundle.entry[1]'] }] });
    expect(await countReadings(t, device.deviceId)).toBe(0);
    expect((await rejectionsOf(t, device.deviceId)).map((r) => r.reason)).toEqual(['unknown-field']);
    const own = await post(bundle('transaction', device.deviceId, [withSubject(team.patient.id, at)]), basic(device));
    expect(own.status).toBe(200);
    expect((await readingsOf(t, device.deviceId)).map((r) => r.patient_id)).toEqual([team.patient.id]);
  });

  it('an inbound SpO2 below the threshold raises the same alert as over MQTT', async () => {
    const viaFhir = await t.ctx.newPatient(team.team.id);
    const viaMqtt = await t.ctx.newPatient(team.team.id);
    const fhirDevice = await t.ctx.newDevice(viaFhir.id);
    const mqttDevice = await t.ctx.newDevice(viaMqtt.id);
    const start = Math.floor((Date.now() - 300_000) / 1000) * 1000;
    const times = Array.from({ length: 61 }, (_, i) => start + i * 1000);
    const res = await post(bundle('transaction', fhirDevice.deviceId, times.map((at) => observation(fhirDevice.deviceId, 'spo2', at, 80))), basic(fhirDevice));
    expect(res.status).toBe(200);
    const client = await connectPublisher();
    try {
      await publishReadings(client, mqttDevice.deviceId, { v: 1, samples: times.map((at) => ({ at, spo2: 80 })) });
    } finally {
      await client.endAsync();
    }
    const alertOf = async (patientId: string) => {
      const { rows } = await t.pool.query(`SELECT rule, severity, value, threshold, started_at FROM alerts WHERE patient_id = $1 AND status = 'open'`, [patientId]);
      return rows;
    };
    await eventually(async () => (await alertOf(viaFhir.id)).length > 0 && (await alertOf(viaMqtt.id)).length > 0, 20000);
    const [a] = await alertOf(viaFhir.id);
    const [b] = await alertOf(viaMqtt.id);
    expect(a).toMatchObject({ rule: 'spo2.critical', severity: 'critical' });
    expect(a).toEqual(b);
  });

  it('an admin bearer token may send a registered device\'s Bundle; a nurse may not', async () => {
    const device = await t.ctx.newDevice(team.patient.id);
    const admin = await t.ctx.newUser('admin', []);
    const b = bundle('transaction', device.deviceId, [observation(device.deviceId, 'spo2', minuteAgo(), 95)]);
    expect((await post(b, `Bearer ${team.nurse.token}`)).status).toBe(403);
    const res = await post(b, `Bearer ${admin.token}`);
    expect(res.status).toBe(200);
    expect(await countReadings(t, device.deviceId)).toBe(1);
  });

  it("an admin's Bundle creates an absent Device by its identifier, for the patient it references, through the registry (audited)", async () => {
    const admin = await t.ctx.newUser('admin', []);
    const deviceId = `FHIR-NEW-${randomUUID().slice(0, 8)}`;
    const b = bundle('transaction', deviceId, [observation(deviceId, 'spo2', minuteAgo(), 96)]);
    const deviceEntry = b.entry.at(-1);
    // Without Device.patient or a PHD specialization nothing is created.
    const refused = await post(b, `Bearer ${admin.token}`);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'invalid' }] });
    expect((await t.pool.query(`SELECT 1 FROM devices WHERE device_id = $1`, [deviceId])).rowCount).toBe(0);
    deviceEntry.resource.patient = { reference: `Patient/${randomUUID()}` };
    deviceEntry.resource.specialization = [{ systemType: { coding: [{ system: 'urn:iso:std:iso:11073:10101', code: '528388' }] } }];
    const unknownPatient = await post(b, `Bearer ${admin.token}`);
    expect(unknownPatient.status).toBe(400);
    expect((await t.pool.query(`SELECT 1 FROM devices WHERE device_id = $1`, [deviceId])).rowCount).toBe(0);
    deviceEntry.resource.patient = { reference: `Patient/${team.patient.id}` };
    const created = await post(b, `Bearer ${admin.token}`);
    expect(created.status).toBe(200);
    expect(fhirProblems(created.body)).toEqual([]);
    expect(created.body.entry.map((e: Json) => e.response.status)).toEqual(['201 Created', '201 Created']);
    const { rows } = await t.pool.query(`SELECT kind, patient_id FROM devices WHERE device_id = $1`, [deviceId]);
    expect(rows).toEqual([{ kind: 'oximeter', patient_id: team.patient.id }]);
    const audit = await t.pool.query(`SELECT actor_id FROM audit_log WHERE action = 'registry.device.register' AND target_id = $1`, [deviceId]);
    expect(audit.rows).toEqual([{ actor_id: admin.id }]);
    expect(await countReadings(t, deviceId)).toBe(1);
    // Known now: a replay neither creates it again nor stores the reading twice.
    const replay = await post(b, `Bearer ${admin.token}`);
    expect(replay.body.entry.map((e: Json) => e.response.status)).toEqual(['201 Created', '200 OK']);
    expect(await countReadings(t, deviceId)).toBe(1);
  });

  it('throttles failed device logins like professional logins: after 5 failures the device is locked for that source (423), audited', async () => {
    const device = await t.ctx.newDevice(team.patient.id);
    const b = bundle('transaction', device.deviceId, [observation(device.deviceId, 'spo2', minuteAgo(), 95)]);
    for (let i = 0; i < 5; i++) expect((await post(b, basic({ deviceId: device.deviceId, secret: `guess-${i}` }))).status).toBe(401);
    const locked = await post(b, basic(device));
    expect(locked.status).toBe(423);
    expect(locked.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'throttled' }] });
    expect(await countReadings(t, device.deviceId)).toBe(0);
    const { rows } = await t.pool.query(`SELECT details->>'reason' AS reason FROM audit_log WHERE action = 'fhir.feed.login' AND target_id = $1 AND outcome = 'denied' ORDER BY id`, [device.deviceId]);
    expect(rows.map((r) => r.reason)).toEqual([...Array(5).fill('bad-credentials'), 'rate-limited']);
  });

  it('refuses wrong credentials (401), another device\'s Bundle (403), malformed JSON, a wrong media type and a non-feed body (400), all as OperationOutcome', async () => {
    const device = await t.ctx.newDevice(team.patient.id);
    const other = await t.ctx.newDevice(team.patient.id);
    const b = bundle('transaction', device.deviceId, [observation(device.deviceId, 'spo2', minuteAgo(), 95)]);
    for (const auth of [undefined, basic({ deviceId: device.deviceId, secret: 'wrong' }), basic({ deviceId: 'NOPE-404', secret: 'x' }), 'Basic !!!', 'Bearer not-a-token']) {
      const res = await post(b, auth);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'login' }] });
    }
    const foreign = await post(b, basic(other));
    expect(foreign.status).toBe(403);
    expect(foreign.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'forbidden' }] });
    for (const [body, type] of [
      ['{"resourceType": "Bundle", ', 'application/fhir+json'],
      [JSON.stringify(b), 'text/plain'],
      [JSON.stringify({ resourceType: 'Patient' }), 'application/fhir+json'],
      [JSON.stringify({ ...b, type: 'collection' }), 'application/fhir+json'],
      [JSON.stringify({ ...b, entry: [{ resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } }] }), 'application/fhir+json'],
    ] as const) {
      const res = await post(body, basic(device), type);
      expect(res.status).toBe(400);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(fhirProblems(res.body)).toEqual([]);
    }
    expect(await countReadings(t, device.deviceId)).toBe(0);
    expect(await countReadings(t, other.deviceId)).toBe(0);
  });
});
