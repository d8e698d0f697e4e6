import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { request as httpRequest } from 'node:http';
import { createApp } from '../../../apps/server/src/bootstrap.js';
import type { ErrorBody } from '../../../apps/server/src/common/app-error.js';
import { startChildApp, waitForHttpOk, type ChildApp } from '../../support/child-app.js';
import { TEST_DATABASE_URL, TEST_JWT_SECRET, TEST_MQTT_URL } from '../../support/test-env.js';
import { insertReadings, regular } from '../../support/readings-fixture.js';
import { api, startTestApp, testConfig, type TestApp } from '../../support/test-app.js';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
/** The variables a production process of these tests sets (MQTT_INSECURE: the test broker allows anonymous clients). */
const PRODUCTION = { NODE_ENV: 'production', MQTT_INSECURE: 'true', PUBLIC_BASE_URL: 'https://tm.example.org/' };

/** A GET with headers fetch may not set (Host): status, headers and body text. */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Headers every response carries (helmet), whatever its kind. */
function expectSecurityHeaders(path: string, res: Response): void {
  const h = (name: string) => res.headers.get(name);
  expect({ path, csp: h('content-security-policy'), nosniff: h('x-content-type-options'), frame: h('x-frame-options'), referrer: h('referrer-policy'), poweredBy: h('x-powered-by') }).toEqual({
    path,
    csp: expect.stringContaining("default-src 'self'"),
    nosniff: 'nosniff',
    frame: 'SAMEORIGIN',
    referrer: 'no-referrer',
    poweredBy: null,
  });
  expect([path, h('content-security-policy')]).toEqual([path, expect.not.stringContaining('unsafe-inline')]);
}

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

  describe('security headers (helmet, CSP, HSTS behind TLS)', () => {
    it('are on every kind of response: JSON 200, errors 4xx, static pages and scripts, FHIR, health', async () => {
      const { nurse } = await t.ctx.newTeamWithPatient();
      const responses: [string, Response][] = [];
      const get = async (path: string, token?: string) => {
        const res = await fetch(`${t.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
        await res.arrayBuffer();
        responses.push([path, res]);
        return res.status;
      };
      expect(await get('/api/alerts', nurse.token)).toBe(200);
      expect(await get('/api/alerts')).toBe(401);
      expect(await get('/api/no-such-route', nurse.token)).toBe(404);
      expect(await get('/patient.html')).toBe(200);
      expect(await get('/report.html')).toBe(200);
      expect(await get('/js/console.js')).toBe(200);
      expect(await get('/console')).toBe(200);
      expect(await get('/fhir/metadata')).toBe(200);
      expect(await get('/fhir/Observation')).toBe(401);
      expect(await get('/health')).toBe(200);
      const refused = await fetch(`${t.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":' });
      await refused.arrayBuffer();
      expect(refused.status).toBe(400);
      responses.push(['POST /api/auth/login (malformed body)', refused]);
      for (const [path, res] of responses) expectSecurityHeaders(path, res);
      // Plain HTTP, no https public address: no HSTS (a browser would ignore it, a proxy might cache it).
      expect(responses.map(([, res]) => res.headers.get('strict-transport-security'))).toEqual(responses.map(() => null));
    });

    it('HSTS when the request came over TLS through a trusted proxy', async () => {
      const behindProxy = await startTestApp({ roles: ['api'], env: { TRUST_PROXY: '127.0.0.1' } });
      try {
        const tls = await fetch(`${behindProxy.url}/health`, { headers: { 'x-forwarded-proto': 'https' } });
        expect(tls.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
        const plain = await fetch(`${behindProxy.url}/health`);
        expect(plain.headers.get('strict-transport-security')).toBeNull();
      } finally {
        await behindProxy.close();
      }
    });
  });

  describe('outside production (development, tests, the demo): as before', () => {
    it('serves /metrics and /api/docs openly; FHIR links from the request', async () => {
      const metrics = await fetch(`${t.url}/metrics`);
      expect([metrics.status, (await metrics.text()).includes('tm_')]).toEqual([200, true]);
      expect((await fetch(`${t.url}/api/docs-json`)).status).toBe(200);
      expect((await fetch(`${t.url}/api/docs`)).status).toBe(200);
      const capability = JSON.parse((await rawGet(`${t.url}/fhir/metadata`, {})).body) as { implementation: { url: string } };
      expect(capability.implementation.url).toBe(`${t.url}/fhir`);
    });
  });

  describe('in production (NODE_ENV=production)', () => {
    let prod: INestApplication;
    let prodUrl: string;
    beforeAll(async () => {
      prod = await createApp(testConfig({ ...PRODUCTION, ROLES: 'api', METRICS_TOKEN }), { logger: false });
      await prod.listen(0, '127.0.0.1');
      prodUrl = `http://127.0.0.1:${(prod.getHttpServer().address() as { port: number }).port}`;
    });
    afterAll(async () => {
      await prod?.close();
    });

    it('answers 404 for /api/docs and /api/docs-json unless API_DOCS=true', async () => {
      expect((await fetch(`${prodUrl}/api/docs`)).status).toBe(404);
      expect((await fetch(`${prodUrl}/api/docs-json`)).status).toBe(404);
      const withDocs = await createApp(testConfig({ ...PRODUCTION, ROLES: 'api', API_DOCS: 'true' }), { logger: false });
      try {
        await withDocs.listen(0, '127.0.0.1');
        const url = `http://127.0.0.1:${(withDocs.getHttpServer().address() as { port: number }).port}`;
        expect((await fetch(`${url}/api/docs-json`)).status).toBe(200);
        const page = await fetch(`${url}/api/docs`);
        expect(page.status).toBe(200);
        // Swagger UI's inline styles are allowed there, and only there.
        expect(page.headers.get('content-security-policy')).toContain("style-src 'self' 'unsafe-inline'");
        // No METRICS_TOKEN: /metrics does not exist for the outside.
        expect((await fetch(`${url}/metrics`)).status).toBe(404);
      } finally {
        await withDocs.close();
      }
    });

    it('requires the METRICS_TOKEN bearer token for /metrics (401 without or with another)', async () => {
      const none = await api<ErrorBody>(prodUrl, 'GET', '/metrics');
      expect([none.status, none.body.error?.code]).toEqual([401, 'UNAUTHENTICATED']);
      expect((await api(prodUrl, 'GET', '/metrics', 'metrics-token-0123456789abcdeX')).status).toBe(401);
      const ok = await fetch(`${prodUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect([ok.status, (await ok.text()).includes('tm_')]).toEqual([200, true]);
    });

    it('builds FHIR links from PUBLIC_BASE_URL, never from the Host header; HSTS (https public address)', async () => {
      const { physician, patient, device } = await t.ctx.newTeamWithPatient();
      await insertReadings(t.pool, regular({ deviceId: device.deviceId, patientId: patient.id, metric: 'spo2' }, '2026-10-05T22:00:00Z', 60_000, [95, 94, 93]));
      const headers = { host: 'attacker.example', 'x-forwarded-host': 'attacker.example', authorization: `Bearer ${physician.token}` };
      const search = await rawGet(`${prodUrl}/fhir/Observation?patient=${patient.id}&_count=2`, headers);
      expect(search.status).toBe(200);
      const bundle = JSON.parse(search.body) as { entry: { fullUrl: string }[]; link: { relation: string; url: string }[] };
      expect(bundle.entry.length).toBe(2);
      for (const e of bundle.entry) expect(e.fullUrl).toMatch(/^https:\/\/tm\.example\.org\/fhir\/Observation\//);
      expect(bundle.link.map((l) => l.url)).toEqual([
        expect.stringMatching(/^https:\/\/tm\.example\.org\/fhir\/Observation\?patient=/),
        expect.stringMatching(/^https:\/\/tm\.example\.org\/fhir\/Observation\?/),
      ]);
      expect(search.body).not.toContain('attacker.example');
      const capability = JSON.parse((await rawGet(`${prodUrl}/fhir/metadata`, { host: 'attacker.example' })).body) as { implementation: { url: string } };
      expect(capability.implementation.url).toBe('https://tm.example.org/fhir');
      expect(search.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    });

    it('refuses to start without PUBLIC_BASE_URL, naming it (the demo excepted)', async () => {
      const { PUBLIC_BASE_URL: _unset, ...withoutBase } = PRODUCTION;
      await expect(createApp(testConfig({ ...withoutBase, ROLES: 'api' }), { logger: false })).rejects.toThrow(/PUBLIC_BASE_URL: required with NODE_ENV=production/);
    });
  });

  describe('request logs (the product as a child process, JSON lines on stdout)', () => {
    let child: ChildApp | undefined;
    afterAll(async () => {
      await child?.kill('SIGKILL');
    });

    it('redact query values but for non-identifying keys (a token, a patient id are never written)', async () => {
      const port = 20000 + Math.floor(Math.random() * 20000);
      child = startChildApp({
        DATABASE_URL: TEST_DATABASE_URL,
        MQTT_URL: TEST_MQTT_URL,
        JWT_SECRET: TEST_JWT_SECRET,
        MIGRATE_ON_START: 'false',
        ROLES: 'api',
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        LOG_FORMAT: 'json',
      });
      let stdout = '';
      child.proc.stdout!.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
      const url = `http://127.0.0.1:${port}`;
      await waitForHttpOk(`${url}/health`, 45_000, child);
      const { nurse, patient } = await t.ctx.newTeamWithPatient();
      const res = await fetch(`${url}/api/alerts?token=abc-secret-token&patientId=${patient.id}&status=open`, { headers: { authorization: `Bearer ${nurse.token}` } });
      expect(res.status).toBe(400); // `token` is no parameter of this route: refused, and logged
      await child.kill('SIGTERM');
      const entries = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { req?: { url?: string } });
      const logged = entries.filter((e) => e.req?.url?.startsWith('/api/alerts'));
      expect(logged.map((e) => e.req!.url)).toEqual(['/api/alerts?token=[redacted]&patientId=[redacted]&status=open']);
      expect(stdout).not.toContain('abc-secret-token');
      expect(stdout).not.toContain(`patientId=${patient.id}`);
    });
  });

  describe('npm start in production without PUBLIC_BASE_URL', () => {
    it('exits with status 2 and a message naming PUBLIC_BASE_URL, before starting anything', async () => {
      const child = startChildApp({ ...PRODUCTION, PUBLIC_BASE_URL: '', DATABASE_URL: TEST_DATABASE_URL, MQTT_URL: TEST_MQTT_URL, JWT_SECRET: TEST_JWT_SECRET, PORT: '0' });
      expect(await child.exited).toBe(2);
      expect(child.output()).toMatch(/PUBLIC_BASE_URL: required with NODE_ENV=production/);
    });
  });
});
