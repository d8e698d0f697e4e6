// Printable monthly report: /report.html?patient=<id>&month=YYYY-MM (default: last month).
import { alertHandling, alertsInPeriod, currentUser, get, nights, trends } from './clinical-api.js';
import { setUpSignIn } from './clinical-sign-in.js';
import { bandFor, bandLabel, CHART_METRICS, renderTrendChart } from './clinical-charts.js';
import { cell, renderAlertsTable, renderNightsTable, summarizeNights } from './clinical-tables.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const patientId = params.get('patient');
const SIX_HOURS = 21_600_000;

function defaultMonth(now) {
  const d = new Date(now.getFullYear(), now.getMonth() - 1, 1);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
}

const IDENTITY_STATUS = { provisional: 'provisional', recovered: 'recovered (INS not yet validated)', validated: 'validated (INS not yet retrieved)', qualified: 'qualified' };
const INS_AUTHORITY = { '1.2.250.1.213.1.4.8': 'NIR', '1.2.250.1.213.1.4.9': 'NIA' };

/**
 * The identity lines of the report header. The server gives an INS only for a qualified identity
 * (shareableIns); this page prints what it is given and nothing else.
 */
export function identityLines(identity) {
  if (!identity) return { identity: '—', ins: '—' };
  const names = [identity.birthName, ...(identity.firstNames ?? [])].filter(Boolean).join(' ');
  const used = identity.usedName ? `, used name ${identity.usedName}` : '';
  const born = identity.birthDate ? `, born ${identity.birthDate.split('-').reverse().join('/')}` : '';
  const sex = identity.sex ? `, sex ${identity.sex}` : '';
  const status = `identity ${IDENTITY_STATUS[identity.status] ?? identity.status}`;
  const text = `${names || 'not recorded'}${used}${born}${sex} — ${status}`;
  const ins = identity.ins ? `${identity.ins.value} (${INS_AUTHORITY[identity.ins.oid] ?? identity.ins.oid})` : 'not printed: identity not qualified';
  return { identity: text, ins };
}

/**
 * The month in the browser's timezone: [first day 00:00, first day of next month 00:00), and its
 * nights up to last night at most (a report of the current month stops at last night).
 */
export function monthRange(month, now) {
  const [y, m] = month.split('-').map(Number);
  const from = new Date(y, m - 1, 1);
  const to = new Date(y, m, 1);
  const yesterday = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1);
  const last = new Date(Math.min(new Date(y, m, 0).getTime(), yesterday.getTime()));
  const days = last < from ? 0 : last.getDate();
  const lastNight = `${last.getFullYear()}-${String(last.getMonth() + 1).padStart(2, '0')}-${String(last.getDate()).padStart(2, '0')}`;
  return { from, to, days, lastNight };
}

const showSignIn = setUpSignIn({
  hideContent: () => {
    $('report').hidden = true;
  },
  onSignedIn: () => load(),
});

$('print').addEventListener('click', () => window.print());
$('month').addEventListener('change', () => {
  params.set('month', $('month').value);
  location.search = params.toString();
});

const fmt = (v, digits = 1, unit = '') => (v === null || v === undefined ? '—' : `${Number(v).toFixed(digits)}${unit}`);

async function load() {
  $('sign-in').hidden = true;
  $('report').hidden = false;
  if (!patientId) {
    $('status').textContent = 'No patient given (?patient=<id>).';
    return;
  }
  const month = /^\d{4}-\d{2}$/.test(params.get('month') ?? '') ? params.get('month') : defaultMonth(new Date());
  $('month').value = month;
  $('back-link').href = `/patient.html?patient=${encodeURIComponent(patientId)}`;
  const { from, to, days, lastNight } = monthRange(month, new Date());
  $('status').textContent = 'Loading…';
  const [patients, thresholds, nightRows, alerts, handling, ...series] = await Promise.allSettled([
    get('/api/patients'),
    get(`/api/patients/${encodeURIComponent(patientId)}/thresholds`),
    days > 0 ? nights(patientId, days, lastNight) : Promise.resolve([]),
    // Exactly the month: every alert active in it, all pages (a warning if it ever had to stop).
    alertsInPeriod(patientId, from, to),
    alertHandling(patientId, from, to),
    ...CHART_METRICS.map((m) => trends(patientId, m.metric, from, to, '6h')),
  ]);
  const patient = patients.status === 'fulfilled' ? patients.value.find((p) => p.id === patientId) : undefined;
  const profile = patient?.profile ?? (thresholds.status === 'fulfilled' ? thresholds.value.profile : undefined);
  $('r-patient').textContent = patient?.displayName ?? patientId;
  const lines = identityLines(patient?.identity);
  $('r-identity').textContent = lines.identity;
  $('r-ins').textContent = lines.ins;
  $('r-profile').textContent = profile ?? '—';
  $('r-period').textContent = `${from.toLocaleDateString()} – ${new Date(to.getTime() - 1).toLocaleDateString()}`;
  $('r-prepared').textContent = `${new Date().toLocaleString()} by ${currentUser() ?? '—'}`;

  const charts = $('charts');
  charts.replaceChildren();
  CHART_METRICS.forEach((m, i) => {
    const figure = document.createElement('figure');
    figure.dataset.metric = m.metric;
    const box = document.createElement('div');
    // The band: the patient's alert limits as they are now (profile target if they cannot be read).
    const band = bandFor(m.metric, thresholds.status === 'fulfilled' ? thresholds.value : null, profile);
    const caption = cell('figcaption', `${m.title} (${m.unit})`);
    if (band) caption.append(cell('span', ` — band: ${bandLabel(band, m.unit)}`, 'muted band-label'));
    figure.append(caption, box);
    charts.append(figure);
    const r = series[i];
    if (r.status === 'fulfilled') renderTrendChart(box, { ...m, buckets: r.value, fromMs: from.getTime(), toMs: to.getTime(), bucketMs: SIX_HOURS, target: band });
    else box.textContent = `Unavailable: ${r.reason.message}`;
  });

  if (nightRows.status === 'fulfilled') {
    renderNightsTable($('nights'), nightRows.value);
    const s = summarizeNights(nightRows.value);
    const summary = $('summary');
    summary.replaceChildren();
    const items = [
      ['Nights with ventilation ≥ 4 h', `${s.nightsUsed4h} / ${s.nights}`],
      ['Mean usage', fmt(s.meanUsage, 1, ' h')],
      ['Mean AHI', fmt(s.meanAhi, 1, ' /h')],
      ['Mean leak (p95)', fmt(s.meanLeak, 0, ' L/min')],
      ['Nights with oximetry', `${s.oximetryNights} / ${s.nights}`],
      ['Mean night SpO₂', fmt(s.meanSpo2, 1, ' %')],
      ['Mean T90', fmt(s.meanT90, 1, ' %')],
      ['Mean ODI 3 %', fmt(s.meanOdi, 1, ' /h')],
    ];
    for (const [k, v] of items) summary.append(cell('dt', k), cell('dd', v));
  } else $('nights').textContent = `Unavailable: ${nightRows.reason.message}`;

  if (alerts.status === 'fulfilled') {
    // Alerts of the month (started in it, or still active during it: the server's from/to filter), oldest first.
    const inMonth = [...alerts.value.alerts].sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt) || Number(a.id) - Number(b.id));
    renderAlertsTable($('alerts'), inMonth, { handling: handling.status === 'fulfilled' ? handling.value : undefined, truncated: alerts.value.truncated });
    if (handling.status === 'rejected') $('alerts').prepend(cell('p', `Names and notes unavailable (${handling.reason.message}).`, 'error'));
  } else $('alerts').textContent = `Unavailable: ${alerts.reason.message}`;
  const failed = [patients, thresholds, nightRows, alerts, handling, ...series].filter((r) => r.status === 'rejected').length;
  $('status').textContent = failed ? `${failed} part(s) could not be loaded.` : 'Ready to print.';
  document.body.dataset.ready = 'true';
}

if (currentUser()) void load();
else showSignIn();
