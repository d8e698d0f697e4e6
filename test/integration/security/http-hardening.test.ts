import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { ErrorBody } from '../../../apps/server/src/common/app-error.js';
import { api, startTestApp, type TestApp } from '../../support/test-app.js';

// The project-level testTimeout of jest.config.js is not applied (Jest 30): set it here.
jest.setTimeout(60_000);

/** Issue 21 §4 (lows): the HTTP surface's hardening, each finding with its regression test. */
describe('HTTP hardening (issue 21 §4)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ roles: ['api'] });
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('control characters in text input: 400 VALIDATION_FAILED naming the field', () => {
    it('in a JSON body string (a NUL in a name once gave 500), a nested one and a key', async () => {
      const admin = await t.ctx.newUser('admin');
      const team = await t.ctx.newCareTeam();
      const cases: [unknown, string][] = [
        [{ displayName: 'Jean\u0000Dupont', careTeamId: team.id, profile: 'standard' }, 'body.displayName'],
        [{ displayName: 'Jean\u001bDupont', careTeamId: team.id, profile: 'standard' }, 'body.displayName'],
        [{ displayName: 'Jean Dupont', careTeamId: team.id, profile: 'standard', 'x\u0000': 1 }, 'body."x\\u0000"'],
      ];
      for (const [body, field] of cases) {
        const res = await api<ErrorBody>(t.url, 'POST', '/api/patients', admin.token, body);
        expect([res.status, res.body.error?.code, res.body.error?.message.startsWith(`${field} must not contain control characters`)]).toEqual([
          400,
          'VALIDATION_FAILED',
          true,
        ]);
      }
      const login = await api<ErrorBody>(t.url, 'POST', '/api/auth/login', undefined, { username: 'a\u0000b', password: 'whatever-it-is' });
      expect([login.status, login.body.error?.code]).toEqual([400, 'VALIDATION_FAILED']);
      // Tabs and line breaks stay allowed in free text.
      const ok = await api(t.url, 'POST', '/api/patients', admin.token, { displayName: 'Jean\tDupont', careTeamId: team.id, profile: 'standard' });
      expect(ok.status).toBe(201);
    });

    it('in a query string and a route parameter, REST and FHIR', async () => {
      const { nurse, patient } = await t.ctx.newTeamWithPatient();
      const query = await api<ErrorBody>(t.url, 'GET', `/api/alerts?status=open%00`, nurse.token);
      expect([query.status, query.body.error?.code, query.body.error?.message]).toEqual([400, 'VALIDATION_FAILED', expect.stringMatching(/^query\.status must not/)]);
      const param = await api<ErrorBody>(t.url, 'GET', `/api/patients/${patient.id}%07/thresholds`, nurse.token);
      expect([param.status, param.body.error?.code, param.body.error?.message]).toEqual([400, 'VALIDATION_FAILED', expect.stringMatching(/^params\.id must not/)]);
      const fhir = await api<{ resourceType: string; issue: { diagnostics: string }[] }>(t.url, 'GET', `/fhir/Observation?patient=${patient.id}%00`, nurse.token);
      expect([fhir.status, fhir.body.resourceType, fhir.body.issue?.[0]?.diagnostics]).toEqual([400, 'OperationOutcome', expect.stringMatching(/^VALIDATION_FAILED: query\.patient must not/)]);
    });
  });
});
