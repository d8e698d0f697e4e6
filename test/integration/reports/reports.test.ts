import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { parse } from 'csv-parse/sync';
import { DateTime } from 'luxon';
import { extractText, getDocumentProxy } from 'unpdf';
import { insKey } from '../../../apps/server/src/registry/ins.js';
import { insertReadings, regular, repeat } from '../../support/readings-fixture.js';
import { api, startTestApp, type TestApp, type TestUser } from '../../support/test-app.js';

jest.setTimeout(120000);

const ZONE = 'Europe/Paris';
let serial = 0;
/** A valid, unique INS (NIR: sex, year, month, department 75, commune, order, key). */
function newIns(): string {
  const nir13 = `2480375${String(100 + (serial++ % 900))}${String(Math.floor(Math.random() * 900) + 100)}`;
  return `${nir13}${String(insKey(nir13)).padStart(2, '0')}`;
}

/** The text of a PDF, every page, by a maintained extractor (pdf.js through unpdf). */
async function pdfText(buf: ArrayBuffer): Promise<{ text: string; pages: number }> {
  const doc = await getDocumentProxy(new Uint8Array(buf));
  const { text, totalPages } = await extractText(doc, { mergePages: true });
  return { text: text.replace(/\s+/g, ' '), pages: totalPages };
}

async function download(t: TestApp, path: string, token: string): Promise<{ status: number; type: string | null; disposition: string | null; body: ArrayBuffer }> {
  const res = await fetch(`${t.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, type: res.headers.get('content-type'), disposition: res.headers.get('content-disposition'), body: await res.arrayBuffer() };
}

describe('reports: monthly and closing PDFs, operator activity', () => {
  let t: TestApp;
  const month = DateTime.now().setZone(ZONE).toFormat('yyyy-MM');
  const startDate = DateTime.now().setZone(ZONE).minus({ months: 2 }).toISODate()!;

  beforeAll(async () => {
    t = await startTestApp({ roles: ['api'] });
  });
  afterAll(async () => {
    await t.close();
  });

  /** A patient of a new team with an active episode, an identity, a handled alert, a threshold change, a review and data. */
  async function scenario(identity: 'qualified' | 'provisional') {
    const { team, nurse, physician, patient, device } = await t.ctx.newTeamWithPatient({ episode: false }); // the episode is the test's
    const ins = newIns();
    await t.pool.query(`UPDATE users SET display_name = 'Dr Anaïs Lefèvre' WHERE id = $1`, [physician.id]);
    await t.pool.query(`UPDATE users SET display_name = 'Zoé Nurse' WHERE id = $1`, [nurse.id]);
    await t.pool.query(
      `UPDATE patients SET display_name = 'Hélène Dupré', birth_date = '1948-03-15', ins = $2, ins_oid = '1.2.250.1.213.1.4.8', identity_status = $3 WHERE id = $1`,
      [patient.id, ins, identity],
    );
    const episode = await api<{ id: string }>(t.url, 'POST', `/api/patients/${patient.id}/episodes`, physician.token, { indication: 'niv', prescriberId: physician.id, startDate });
    expect(episode.status).toBe(201);
    const { rows } = await t.pool.query<{ id: string }>(
      `INSERT INTO alerts (patient_id, rule, severity, status, started_at, opened_at, last_triggered_at, message)
       VALUES ($1, 'spo2.low', 'warning', 'open', now() - interval '1 hour', now() - interval '1 hour', now() - interval '1 hour', 'SpO2 below 88 % for 10 min') RETURNING id::text AS id`,
      [patient.id],
    );
    const alertId = rows[0]!.id;
    expect((await api(t.url, 'POST', `/api/alerts/${alertId}/ack`, nurse.token, { note: 'appelé la patiente, masque réajusté' })).status).toBe(200);
    expect((await api(t.url, 'PUT', `/api/patients/${patient.id}/thresholds`, physician.token, { 'spo2.low': { threshold: 86 } })).status).toBe(200);
    expect((await api(t.url, 'POST', `/api/patients/${patient.id}/reviews`, nurse.token, { note: 'Observance correcte, fuites stables', outcome: 'no change' })).status).toBe(201);
    await insertReadings(t.pool, regular({ deviceId: device.deviceId, patientId: patient.id, metric: 'spo2' }, Date.now() - 30 * 60_000, 60_000, repeat(93, 20)));
    return { team, nurse, physician, patient, episodeId: episode.body.id, alertId, ins };
  }

  it('the monthly report is a PDF naming the patient, prescriber, period, notice, the handled alert, the threshold change and the qualified INS; it is audited', async () => {
    const s = await scenario('qualified');
    const res = await download(t, `/api/patients/${s.patient.id}/reports/monthly.pdf?month=${month}`, s.physician.token);
    expect(res.status).toBe(200);
    expect(res.type).toBe('application/pdf');
    expect(res.disposition).toMatch(new RegExp(`^attachment; filename="monthly-report-${month}-[0-9a-f]{8}\\.pdf"$`));
    expect(Buffer.from(res.body.slice(0, 5)).toString()).toBe('%PDF-');
    const { text, pages } = await pdfText(res.body);
    expect(text).toContain('Hélène Dupré');
    expect(text).toContain('15/03/1948');
    expect(text).toContain('Dr Anaïs Lefèvre');
    const first = DateTime.fromISO(`${month}-01`, { zone: ZONE }).setLocale('en-GB').toFormat('d MMMM yyyy');
    expect(text).toContain(first);
    expect(text).toContain(`in the patient's time zone, ${ZONE}`);
    // The notice on every page.
    expect(text.match(/Telemonitoring is not an emergency service: in an emergency, the patient calls 15/g)?.length).toBe(pages);
    expect(text).toContain(`Page 1 / ${pages}`);
    expect(text).toMatch(/Respiratory telemonitoring 0\.\d+\.\d+/);
    // The alert with its handling: who acknowledged it, when, and the note.
    expect(text).toContain('SpO₂ low');
    expect(text).toMatch(/Acknowledged \d{2}\/\d{2}\/\d{4} \d{2}:\d{2} by Zoé Nurse/);
    expect(text).toContain('appelé la patiente, masque réajusté');
    // The threshold change: who, from what to what.
    expect(text).toMatch(/Dr Anaïs Lefèvre SpO₂ low limit 88.* limit 86/);
    expect(text).toContain('Observance correcte, fuites stables');
    expect(text).toContain(s.ins);

    const audit = await t.pool.query(`SELECT actor_id, outcome, details FROM audit_log WHERE patient_id = $1 AND action = 'report.monthly'`, [s.patient.id]);
    expect(audit.rows).toEqual([expect.objectContaining({ actor_id: s.physician.id, outcome: 'success', details: expect.objectContaining({ month, episodeId: s.episodeId }) })]);
  });

  it('prints the thresholds in force during the month reported, not those of today', async () => {
    const { physician, patient } = await t.ctx.newTeamWithPatient({ episode: false });
    await t.pool.query(`UPDATE users SET display_name = 'Dr Paul Mercier' WHERE id = $1`, [physician.id]);
    expect((await api(t.url, 'POST', `/api/patients/${patient.id}/episodes`, physician.token, { indication: 'niv', prescriberId: physician.id, startDate })).status).toBe(201);
    const previous = DateTime.now().setZone(ZONE).minus({ months: 1 });
    // History fixture: a change on the 10th of last month (its audit entry, as the PUT writes it, and its result).
    const changedAt = previous.set({ day: 10, hour: 9 }).toJSDate();
    await t.pool.query(
      `INSERT INTO audit_log (at, actor_id, actor_role, action, patient_id, target_type, target_id, outcome, details)
       VALUES ($1, $2, 'physician', 'thresholds.update', $3::uuid, 'thresholds', $3::text, 'success', $4)`,
      [changedAt, physician.id, patient.id, JSON.stringify({ before: {}, after: { 'spo2.low': { threshold: 85 } } })],
    );
    await t.pool.query(`INSERT INTO patient_thresholds (patient_id, settings, updated_by, updated_at) VALUES ($1, $2, $3, $4)`, [
      patient.id,
      JSON.stringify({ 'spo2.low': { threshold: 85 } }),
      physician.id,
      changedAt,
    ]);
    // Today: 85 → 86.
    expect((await api(t.url, 'PUT', `/api/patients/${patient.id}/thresholds`, physician.token, { 'spo2.low': { threshold: 86 } })).status).toBe(200);

    const last = await pdfText((await download(t, `/api/patients/${patient.id}/reports/monthly.pdf?month=${previous.toFormat('yyyy-MM')}`, physician.token)).body);
    const lastStart = previous.startOf('month').setLocale('en-GB').toFormat('d MMMM yyyy');
    expect(last.text).toMatch(new RegExp(`In force on ${lastStart} .*SpO₂ low limit 88,`));
    expect(last.text).toMatch(/Dr Paul Mercier SpO₂ low limit 88,.* limit 85,/);
    expect(last.text).not.toContain('limit 86');
    const now = await pdfText((await download(t, `/api/patients/${patient.id}/reports/monthly.pdf?month=${month}`, physician.token)).body);
    expect(now.text).toMatch(/In force on .*SpO₂ low limit 85,/);
    expect(now.text).toMatch(/Dr Paul Mercier SpO₂ low limit 85,.* limit 86,/);
  });

  it("a provisional identity's INS is not printed", async () => {
    const s = await scenario('provisional');
    const res = await download(t, `/api/patients/${s.patient.id}/reports/monthly.pdf?month=${month}`, s.nurse.token);
    expect(res.status).toBe(200);
    const { text } = await pdfText(res.body);
    expect(text).toContain('Hélène Dupré');
    expect(text).not.toContain(s.ins);
    expect(text).toContain('not shown (provisional identity)');
  });

  it.each([
    ['not YYYY-MM', 'nov-2026', 'REPORT_MONTH_INVALID'],
    ['month 13', '2026-13', 'REPORT_MONTH_INVALID'],
    ['missing', undefined, 'REPORT_MONTH_INVALID'],
    ['in the future', DateTime.now().setZone(ZONE).plus({ months: 1 }).toFormat('yyyy-MM'), 'REPORT_MONTH_IN_FUTURE'],
    ['before the episode', DateTime.now().setZone(ZONE).minus({ months: 4 }).toFormat('yyyy-MM'), 'REPORT_MONTH_BEFORE_EPISODE'],
  ])('a bad month (%s) is 400 %s', async (_case, m, code) => {
    const { physician, patient } = await t.ctx.newTeamWithPatient({ episode: false });
    await api(t.url, 'POST', `/api/patients/${patient.id}/episodes`, physician.token, { indication: 'oxygen', prescriberId: physician.id, startDate });
    const res = await api<{ error: { code: string } }>(t.url, 'GET', `/api/patients/${patient.id}/reports/monthly.pdf${m === undefined ? '' : `?month=${m}`}`, physician.token);
    expect([res.status, res.body.error.code]).toEqual([400, code]);
  });

  it("another team's patient or episode is 404 (and the attempt audited as denied); an admin is 403", async () => {
    const s = await scenario('qualified');
    const other = await t.ctx.newTeamWithPatient();
    const monthly = await api(t.url, 'GET', `/api/patients/${s.patient.id}/reports/monthly.pdf?month=${month}`, other.physician.token);
    expect(monthly.status).toBe(404);
    const closing = await api(t.url, 'GET', `/api/episodes/${s.episodeId}/closing-report.pdf`, other.nurse.token);
    expect(closing.status).toBe(404);
    const denied = await t.pool.query(`SELECT actor_id FROM audit_log WHERE patient_id = $1 AND action LIKE 'report.%' AND outcome = 'denied' ORDER BY id`, [s.patient.id]);
    expect(denied.rows.map((r) => r.actor_id)).toEqual([other.physician.id, other.nurse.id]);
    const admin = await t.ctx.newUser('admin', [s.team.id]);
    expect((await api(t.url, 'GET', `/api/patients/${s.patient.id}/reports/monthly.pdf?month=${month}`, admin.token)).status).toBe(403);
  });

  it('the closing report of an active episode is 409 EPISODE_NOT_ENDED; once ended, a PDF with the end reason and a summary per month', async () => {
    const s = await scenario('qualified');
    const early = await api<{ error: { code: string } }>(t.url, 'GET', `/api/episodes/${s.episodeId}/closing-report.pdf`, s.physician.token);
    expect([early.status, early.body.error.code]).toEqual([409, 'EPISODE_NOT_ENDED']);
    expect((await api(t.url, 'POST', `/api/episodes/${s.episodeId}/end`, s.physician.token, { reason: 'Stabilisation, fin de prescription' })).status).toBe(200);
    const res = await download(t, `/api/episodes/${s.episodeId}/closing-report.pdf`, s.physician.token);
    expect([res.status, res.type]).toEqual([200, 'application/pdf']);
    const { text, pages } = await pdfText(res.body);
    expect(text).toContain('Closing report of the telemonitoring episode');
    expect(text).toContain('Stabilisation, fin de prescription');
    expect(text).toContain('Summary per month');
    expect(text).toContain(DateTime.fromISO(startDate).setLocale('en-GB').toFormat('MMMM yyyy'));
    expect(text).toContain('Dr Anaïs Lefèvre');
    expect(text.match(/not an emergency service/g)?.length).toBe(pages);
    const audit = await t.pool.query(`SELECT details FROM audit_log WHERE patient_id = $1 AND action = 'report.closing' AND outcome = 'success'`, [s.patient.id]);
    expect(audit.rows).toEqual([{ details: expect.objectContaining({ from: startDate }) }]);
  });

  describe('activity', () => {
    interface Row {
      episodeId: string;
      patientId: string;
      [k: string]: unknown;
    }
    let s: Awaited<ReturnType<typeof scenario>>;
    let admin: TestUser;
    beforeAll(async () => {
      s = await scenario('qualified');
      admin = await t.ctx.newUser('admin');
    });

    it('a physician gets one row per episode of his teams active in the month; the CSV parses back to the JSON rows', async () => {
      const json = await api<Row[]>(t.url, 'GET', `/api/reports/activity?month=${month}&format=json`, s.physician.token);
      expect(json.status).toBe(200);
      expect(json.body).toEqual([
        expect.objectContaining({
          month,
          episodeId: s.episodeId,
          patientId: s.patient.id,
          patientName: 'Hélène Dupré',
          careTeamName: s.team.name,
          prescriberName: 'Dr Anaïs Lefèvre',
          indication: 'niv',
          daysWithData: 1,
          alertsRaised: 1,
          alertsHandled: 1,
          reviews: 1,
        }),
      ]);
      const row = json.body[0]!;
      expect(row.daysActive).toBe(DateTime.now().setZone(ZONE).minus({ hours: 12 }).day);
      const res = await fetch(`${t.url}/api/reports/activity?month=${month}&format=csv`, { headers: { authorization: `Bearer ${s.physician.token}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="activity-${month}.csv"`);
      const csv = await res.text();
      expect(csv.split('\n')[0]).toBe(Object.keys(row).join(','));
      const parsed = parse(csv, {
        columns: true,
        cast: (value, ctx) => {
          if (ctx.header) return value;
          if (value === '') return null;
          if (value === 'true' || value === 'false') return value === 'true';
          return typeof row[ctx.column as string] === 'number' ? Number(value) : value;
        },
      });
      expect(parsed).toEqual(json.body);
    });

    it('an admin sees every team; a physician of another team does not see it; a nurse is 403; the read is audited', async () => {
      const all = await api<Row[]>(t.url, 'GET', `/api/reports/activity?month=${month}`, admin.token);
      expect(all.status).toBe(200);
      expect(all.body.map((r) => r.episodeId)).toContain(s.episodeId);
      const other = await t.ctx.newTeamWithPatient(); // its patient has an active episode of its own
      const theirs = await api<Row[]>(t.url, 'GET', `/api/reports/activity?month=${month}`, other.physician.token);
      expect(theirs.body.map((r) => r.episodeId)).not.toContain(s.episodeId);
      expect(theirs.body.map((r) => [r.patientId, r.careTeamId])).toEqual([[other.patient.id, other.team.id]]);
      expect((await api(t.url, 'GET', `/api/reports/activity?month=${month}`, s.nurse.token)).status).toBe(403);
      const bad = await api<{ error: { code: string } }>(t.url, 'GET', `/api/reports/activity?month=2026-1`, admin.token);
      expect([bad.status, bad.body.error.code]).toEqual([400, 'REPORT_MONTH_INVALID']);
      const format = await api<{ error: { code: string } }>(t.url, 'GET', `/api/reports/activity?month=${month}&format=xml`, admin.token);
      expect(format.status).toBe(400);
      const audit = await t.pool.query(`SELECT details FROM audit_log WHERE actor_id = $1 AND action = 'report.activity'`, [admin.id]);
      expect(audit.rows).toHaveLength(1);
      expect(audit.rows[0].details.patientIds).toContain(s.patient.id);
    });
  });
});
