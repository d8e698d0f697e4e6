import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { AlertView } from '#domain';
import { AlertJobsService } from '../../../apps/server/src/alerts/alert-jobs.service.js';
import { api, startTestApp, type TestApp } from '../../support/test-app.js';
import { alertsOf, HOUR, ingest, samples, SECOND } from './alert-fixtures.js';

// Creating users (argon2) and apps is slow on a loaded machine: the jest default of 5 s is too short.
jest.setTimeout(30_000);

interface ErrorBody {
  error: { code: string; message: string };
}

describe('REST: alerts and thresholds', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ roles: ['api'] });
  });
  afterAll(async () => {
    await t.close();
  });

  const base = () => Math.floor((Date.now() - 3 * HOUR) / 1000) * 1000;

  async function teamWithAlert() {
    const team = await t.ctx.newTeamWithPatient();
    await ingest(t, team.device, team.patient.id, samples(base(), 61, { spo2: 80 }));
    const [alert] = await alertsOf(t.pool, team.patient.id);
    return { ...team, alertId: alert!.id };
  }

  describe('alerts', () => {
    it("lists only the caller's teams' alerts, filters by status and patient, and 404s outside", async () => {
      const mine = await teamWithAlert();
      const other = await teamWithAlert();
      const list = await api<AlertView[]>(t.url, 'GET', '/api/alerts?status=open', mine.nurse.token);
      expect(list.status).toBe(200);
      const ids = list.body.map((a) => a.id);
      expect(ids).toContain(mine.alertId);
      expect(ids).not.toContain(other.alertId);
      const byPatient = await api<AlertView[]>(t.url, 'GET', `/api/alerts?patientId=${mine.patient.id}`, mine.physician.token);
      expect(byPatient.body.map((a) => a.id)).toEqual([mine.alertId]);
      expect(byPatient.body[0]).toMatchObject({ rule: 'spo2.critical', severity: 'critical', status: 'open', occurrences: 1, escalated: false, news2Spo2Score: 3 });
      expect((await api(t.url, 'GET', `/api/alerts?patientId=${other.patient.id}`, mine.nurse.token)).status).toBe(404);
      expect((await api(t.url, 'GET', `/api/alerts/${other.alertId}`, mine.nurse.token)).status).toBe(404);
      expect((await api(t.url, 'GET', `/api/alerts/999999999999`, mine.nurse.token)).status).toBe(404);
      expect((await api(t.url, 'GET', `/api/alerts/not-a-number`, mine.nurse.token)).status).toBe(404);
      expect((await api<AlertView>(t.url, 'GET', `/api/alerts/${mine.alertId}`, mine.nurse.token)).body.id).toBe(mine.alertId);
      const bad = await api<ErrorBody>(t.url, 'GET', '/api/alerts?status=closed', mine.nurse.token);
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('VALIDATION_FAILED');
      expect((await api(t.url, 'GET', '/api/alerts')).status).toBe(401);
    });

    it('acknowledges and resolves with a note, audited; a second resolve is a conflict', async () => {
      const { nurse, physician, alertId } = await teamWithAlert();
      const ack = await api<AlertView>(t.url, 'POST', `/api/alerts/${alertId}/ack`, nurse.token, { note: 'called the patient' });
      expect(ack.status).toBe(200);
      expect(ack.body).toMatchObject({ status: 'acknowledged', acknowledgedBy: nurse.id });
      const resolved = await api<AlertView>(t.url, 'POST', `/api/alerts/${alertId}/resolve`, physician.token, { note: 'oxygen adjusted' });
      expect(resolved.body).toMatchObject({ status: 'resolved', resolution: 'manual', resolvedBy: physician.id });
      const again = await api<ErrorBody>(t.url, 'POST', `/api/alerts/${alertId}/resolve`, nurse.token, {});
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('ALERT_ALREADY_RESOLVED');
      const audit = await t.pool.query(`SELECT action, actor_id FROM audit_log WHERE target_type = 'alert' AND target_id = $1 ORDER BY id`, [alertId]);
      expect(audit.rows.map((r) => r.action)).toEqual(expect.arrayContaining(['alert.raise', 'alert.acknowledge', 'alert.resolve']));
      const tooLong = await api(t.url, 'POST', `/api/alerts/${alertId}/ack`, nurse.token, { note: 'x'.repeat(2001) });
      expect(tooLong.status).toBe(400);
    });

    it('filters by period (from / to: alerts active during it) and pages with beforeId, backward compatible', async () => {
      const { nurse, patient } = await t.ctx.newTeamWithPatient();
      const now = Date.now();
      const day = 24 * HOUR;
      const insert = async (rule: string, startedDaysAgo: number, resolvedDaysAgo: number | null) => {
        const started = new Date(now - startedDaysAgo * day);
        const resolved = resolvedDaysAgo === null ? null : new Date(now - resolvedDaysAgo * day);
        const { rows } = await t.pool.query<{ id: string }>(
          `INSERT INTO alerts (patient_id, rule, severity, status, started_at, opened_at, last_triggered_at, message, resolved_at, resolution)
           VALUES ($1, $2, 'warning', $3, $4, $4, $4, 'test', $5, $6) RETURNING id::text AS id`,
          [patient.id, rule, resolved ? 'resolved' : 'acknowledged', started, resolved, resolved ? 'cleared' : null],
        );
        return rows[0]!.id;
      };
      const before = await insert('spo2.low', 40, 39); // over before the period
      const inside = await insert('spo2.low', 20, 19); // started and resolved in it
      const ongoing = await insert('pulse.high', 35, null); // started before, still active
      const after = await insert('niv.leak', 2, null); // started after it
      const from = new Date(now - 30 * day).toISOString();
      const to = new Date(now - 10 * day).toISOString();
      const list = async (q: string) => {
        const res = await api<AlertView[]>(t.url, 'GET', `/api/alerts?patientId=${patient.id}&${q}`, nurse.token);
        expect(res.status).toBe(200);
        return res.body.map((a) => a.id);
      };
      const q = (params: Record<string, string>) => new URLSearchParams(params).toString();
      expect(await list(q({ from, to }))).toEqual([ongoing, inside]);
      expect(await list(q({ from }))).toEqual([after, ongoing, inside]);
      expect(await list(q({ to }))).toEqual([ongoing, inside, before]);
      expect(await list('')).toEqual([after, ongoing, inside, before]); // no filter: as before
      expect(await list(q({ from, to, status: 'resolved' }))).toEqual([inside]);
      // Keyset paging, newest first.
      expect(await list(q({ from, to, limit: '1' }))).toEqual([ongoing]);
      expect(await list(q({ from, to, limit: '1', beforeId: ongoing }))).toEqual([inside]);
      expect(await list(q({ from, to, limit: '1', beforeId: inside }))).toEqual([]);
      for (const bad of [q({ from: 'yesterday' }), q({ to: '2026-13-01' }), q({ from: to, to: from }), q({ from, to: from }), q({ beforeId: 'abc' }), q({ beforeId: '0' }), q({ from: '2026-W01' }), q({ to: '0000-01-01T00:00:00Z' })]) {
        const res = await api<ErrorBody>(t.url, 'GET', `/api/alerts?${bad}`, nurse.token);
        expect([bad, res.status, res.body.error.code]).toEqual([bad, 400, 'VALIDATION_FAILED']);
      }
    });

    it("GET /api/patients/:id/alert-handling: who acknowledged / resolved and the notes, for the team only, audited", async () => {
      const { nurse, physician, patient, alertId } = await teamWithAlert();
      const stranger = (await t.ctx.newTeamWithPatient()).physician;
      await t.pool.query(`UPDATE users SET display_name = 'Dr Martin' WHERE id = $1`, [physician.id]);
      await api(t.url, 'POST', `/api/alerts/${alertId}/ack`, nurse.token, { note: 'called the patient' });
      await api(t.url, 'POST', `/api/alerts/${alertId}/resolve`, physician.token, { note: 'oxygen adjusted' });
      const from = new Date(Date.now() - 24 * HOUR).toISOString();
      const to = new Date(Date.now() + HOUR).toISOString();
      const path = `/api/patients/${patient.id}/alert-handling?${new URLSearchParams({ from, to })}`;
      const res = await api<Array<{ alertId: string; acknowledgedBy: unknown; resolvedBy: unknown; events: Array<{ kind: string; at: string; by: unknown; note: string | null }> }>>(
        t.url,
        'GET',
        path,
        physician.token,
      );
      expect(res.status).toBe(200);
      expect(res.body).toEqual([
        {
          alertId,
          acknowledgedBy: { id: nurse.id, name: nurse.username, role: 'nurse' },
          resolvedBy: { id: physician.id, name: 'Dr Martin', role: 'physician' },
          events: [
            { kind: 'acknowledged', at: expect.any(String), by: { id: nurse.id, name: nurse.username, role: 'nurse' }, note: 'called the patient' },
            { kind: 'resolved', at: expect.any(String), by: { id: physician.id, name: 'Dr Martin', role: 'physician' }, note: 'oxygen adjusted' },
          ],
        },
      ]);
      expect(Number.isNaN(Date.parse(res.body[0]!.events[0]!.at))).toBe(false);
      // Outside the period: nothing.
      const old = `/api/patients/${patient.id}/alert-handling?${new URLSearchParams({ from: '2020-01-01T00:00:00Z', to: '2020-02-01T00:00:00Z' })}`;
      expect((await api<unknown[]>(t.url, 'GET', old, nurse.token)).body).toEqual([]);
      expect((await api(t.url, 'GET', path, stranger.token)).status).toBe(404);
      const tooLong = `/api/patients/${patient.id}/alert-handling?${new URLSearchParams({ from: '2020-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' })}`;
      expect((await api<ErrorBody>(t.url, 'GET', tooLong, nurse.token)).body.error.code).toBe('RANGE_TOO_LARGE');
      for (const bad of ['from=x&to=y', `from=${to}&to=${from}`, 'from=2026-W01&to=2026-W02', 'from=0000-01-01T00:00:00Z&to=0000-02-01T00:00:00Z']) {
        const res = await api<ErrorBody>(t.url, 'GET', `/api/patients/${patient.id}/alert-handling?${bad}`, nurse.token);
        expect([bad, res.status, res.body.error?.code]).toEqual([bad, 400, 'VALIDATION_FAILED']);
      }
      const audit = await t.pool.query(`SELECT actor_id, outcome FROM audit_log WHERE action = 'patient.alert_handling.read' AND patient_id = $1 ORDER BY id`, [patient.id]);
      expect(audit.rows[0]).toMatchObject({ actor_id: physician.id });
    });

    it("refuses to act on another team's alert (404) and refuses admins (403)", async () => {
      const mine = await teamWithAlert();
      const other = await teamWithAlert();
      expect((await api(t.url, 'POST', `/api/alerts/${other.alertId}/ack`, mine.nurse.token, {})).status).toBe(404);
      const admin = await t.ctx.newUser('admin');
      expect((await api(t.url, 'GET', '/api/alerts', admin.token)).status).toBe(403);
    });
  });

  it('documents the routes in OpenAPI, with one optional object per rule for thresholds', async () => {
    const res = await api<{ paths: Record<string, unknown>; components: { schemas: Record<string, { properties: Record<string, unknown> }> } }>(t.url, 'GET', '/api/docs-json');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/api/alerts', '/api/alerts/{id}', '/api/alerts/{id}/ack', '/api/alerts/{id}/resolve', '/api/patients/{id}/thresholds']));
    expect(Object.keys(res.body.components.schemas.ThresholdOverridesDto!.properties)).toContain('spo2.low');
  });

  describe('thresholds', () => {
    it('GET for the patient nurses and physicians: defaults, overrides, effective', async () => {
      const { nurse, patient } = await t.ctx.newTeamWithPatient();
      const res = await api<{ profile: string; defaults: Record<string, { threshold: number }>; overrides: object; effective: Record<string, { threshold: number }> }>(
        t.url,
        'GET',
        `/api/patients/${patient.id}/thresholds`,
        nurse.token,
      );
      expect(res.status).toBe(200);
      expect(res.body.profile).toBe('hypercapnic');
      expect(res.body.overrides).toEqual({});
      expect(res.body.effective['spo2.critical']!.threshold).toBe(83);
      expect(res.body.defaults['spo2.low']!.threshold).toBe(88);
    });

    it('PUT: nurse 403, physician of another team 404, out of range 400, physician 200 and audited', async () => {
      const { nurse, physician, patient } = await t.ctx.newTeamWithPatient();
      const stranger = (await t.ctx.newTeamWithPatient()).physician;
      const body = { 'spo2.critical': { threshold: 86 }, 'spo2.low': { threshold: 90, durationSeconds: 600 } };
      const path = `/api/patients/${patient.id}/thresholds`;
      expect((await api(t.url, 'PUT', path, nurse.token, body)).status).toBe(403);
      expect((await api(t.url, 'PUT', path, stranger.token, body)).status).toBe(404);
      expect((await api(t.url, 'GET', path, stranger.token)).status).toBe(404);
      for (const bad of [{ 'spo2.low': { threshold: 40 } }, { 'spo2.mid': {} }, { 'spo2.low': 'x' }, { 'spo2.low': { limit: 1 } }, { 'spo2.critical': { threshold: 95 } }]) {
        const res = await api<ErrorBody>(t.url, 'PUT', path, physician.token, bad);
        expect([res.status, res.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
      }
      const ok = await api<{ overrides: object; effective: Record<string, { threshold: number; durationSeconds: number }>; updatedBy: string }>(
        t.url,
        'PUT',
        path,
        physician.token,
        body,
      );
      expect(ok.status).toBe(200);
      expect(ok.body.overrides).toEqual(body);
      expect(ok.body.effective['spo2.low']).toMatchObject({ threshold: 90, durationSeconds: 600 });
      expect(ok.body.updatedBy).toBe(physician.id);
      const audit = await t.pool.query(`SELECT actor_id, details FROM audit_log WHERE action = 'thresholds.update' AND outcome = 'success' AND patient_id = $1`, [patient.id]);
      expect(audit.rows).toEqual([{ actor_id: physician.id, details: { before: {}, after: body } }]);
      // The other team's attempts are traced by the access gate, denied, with no settings in them.
      const denied = await t.pool.query(`SELECT action, details FROM audit_log WHERE actor_id = $1 AND outcome = 'denied' ORDER BY id`, [stranger.id]);
      expect(denied.rows).toEqual([{ action: 'thresholds.update', details: null }, { action: 'thresholds.read', details: null }]);
      // PUT replaces: an empty body goes back to the defaults.
      const reset = await api<{ effective: Record<string, { threshold: number }> }>(t.url, 'PUT', path, physician.token, {});
      expect(reset.body.effective['spo2.low']!.threshold).toBe(88);
    });

    // Issue 21 §4: these keys once answered 200 and replaced the saved settings with none.
    it('PUT with a prototype key (__proto__, constructor, at rule or parameter level): 400, nothing changed', async () => {
      const { physician, patient } = await t.ctx.newTeamWithPatient();
      const path = `/api/patients/${patient.id}/thresholds`;
      const saved = { 'spo2.low': { threshold: 90 } };
      expect((await api(t.url, 'PUT', path, physician.token, saved)).status).toBe(200);
      for (const bad of ['{"__proto__": {}}', '{"constructor": {}}', '{"__proto__": null, "constructor": null}', '{"spo2.low": {"__proto__": {}}}', '{"spo2.low": {"constructor": 1}}']) {
        const res = await api<ErrorBody>(t.url, 'PUT', path, physician.token, bad);
        expect([bad, res.status, res.body.error?.code]).toEqual([bad, 400, 'VALIDATION_FAILED']);
      }
      const after = await api<{ overrides: object }>(t.url, 'GET', path, physician.token);
      expect(after.body.overrides).toEqual(saved);
    });

    it('device.silent is mandatory while an episode is active: 422 RULE_MANDATORY, nothing changed; allowed without an active episode', async () => {
      const { physician, patient } = await t.ctx.newTeamWithPatient();
      const path = `/api/patients/${patient.id}/thresholds`;
      const saved = { 'device.silent': { infoAfterHours: 12, warningAfterHours: 48 }, 'spo2.low': { threshold: 90 } };
      expect((await api(t.url, 'PUT', path, physician.token, saved)).status).toBe(200);
      const view = await api<{ locked: { rule: string; parameter: string; reason: string }[] }>(t.url, 'GET', path, physician.token);
      expect(view.body.locked).toEqual([{ rule: 'device.silent', parameter: 'enabled', reason: expect.stringContaining('Mandatory') }]);
      const audits = async () => Number((await t.pool.query(`SELECT count(*) FROM audit_log WHERE action = 'thresholds.update' AND outcome = 'success' AND patient_id = $1`, [patient.id])).rows[0].count);
      expect(await audits()).toBe(1);
      for (const off of [{ 'device.silent': { enabled: false } }, { ...saved, 'device.silent': { infoAfterHours: 6, warningAfterHours: 24, enabled: false }, 'spo2.low': { threshold: 86 } }]) {
        const res = await api<ErrorBody>(t.url, 'PUT', path, physician.token, off);
        expect([res.status, res.body.error.code]).toEqual([422, 'RULE_MANDATORY']);
      }
      expect((await api<{ overrides: object }>(t.url, 'GET', path, physician.token)).body.overrides).toEqual(saved);
      expect(await audits()).toBe(1);
      // Enabled explicitly is no change of the rule: accepted.
      expect((await api(t.url, 'PUT', path, physician.token, { 'device.silent': { enabled: true } })).status).toBe(200);
      // The episode ends: the rules no longer run, nothing is mandatory.
      const episode = (await t.pool.query(`SELECT id FROM episodes WHERE patient_id = $1 AND status = 'active'`, [patient.id])).rows[0].id;
      expect((await api(t.url, 'POST', `/api/episodes/${episode}/end`, physician.token, { reason: 'end of prescription' })).status).toBe(200);
      expect((await api<{ locked: unknown[] }>(t.url, 'GET', path, physician.token)).body.locked).toEqual([]);
      const off = await api<{ effective: Record<string, { enabled: boolean }> }>(t.url, 'PUT', path, physician.token, { 'device.silent': { enabled: false } });
      expect(off.status).toBe(200);
      expect(off.body.effective['device.silent']!.enabled).toBe(false);
      // A new episode: the "off" saved meanwhile does not survive it (the rules run with device.silent on), and cannot be saved again.
      expect((await api(t.url, 'POST', `/api/patients/${patient.id}/episodes`, physician.token, { indication: 'niv', prescriberId: physician.id, startDate: '2026-12-01' })).status).toBe(201);
      expect((await api<{ effective: Record<string, { enabled: boolean }> }>(t.url, 'GET', path, physician.token)).body.effective['device.silent']!.enabled).toBe(true);
      expect((await api(t.url, 'PUT', path, physician.token, { 'device.silent': { enabled: false } })).status).toBe(422);
      await t.pool.query(`UPDATE devices SET last_seen_at = now() - interval '30 hours' WHERE patient_id = $1`, [patient.id]);
      expect((await t.app.get(AlertJobsService).checkSilentDevices(new Date(), { patientIds: [patient.id] })).raised).toBe(1);
    });

    it('a new threshold takes effect on the next sample', async () => {
      const { physician, patient, device } = await t.ctx.newTeamWithPatient();
      const T = base();
      await ingest(t, device, patient.id, samples(T, 61, { spo2: 85 })); // above the default 83 %: nothing
      expect(await alertsOf(t.pool, patient.id)).toEqual([]);
      const put = await api(t.url, 'PUT', `/api/patients/${patient.id}/thresholds`, physician.token, { 'spo2.critical': { threshold: 86 } });
      expect(put.status).toBe(200);
      await ingest(t, device, patient.id, samples(T + 61 * SECOND, 61, { spo2: 85 }));
      const [alert] = await alertsOf(t.pool, patient.id, 'spo2.critical');
      expect(alert).toMatchObject({ status: 'open', threshold: 86, value: 85 });
    });
  });
});
