// The physician's patient page: telemonitoring status, trends (SpO2, pulse, respiratory rate), nights, alerts and their evidence, reviews, thresholds and their what-if, reports.
import { alertHandling, alertsInPeriod, currentUser, download, get, nights, post, put, request, signOut, trends } from './clinical-api.js';
import { setUpSignIn } from './clinical-sign-in.js';
import { renderEvidence } from './evidence-chart.js';
import { renderWhatIf } from './clinical-whatif.js';
import { bandFor, bandLabel, bucketFor, CHART_METRICS, renderTrendChart } from './clinical-charts.js';
import { cell, renderAlertsTable, renderNightsTable } from './clinical-tables.js';
import { renderThresholdsForm, thresholdsBody } from './clinical-thresholds.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const state = { patients: [], patientId: params.get('patient'), days: Number(params.get('days')) || 7, thresholds: null, charts: null };

const showSignIn = setUpSignIn({
  hideContent: () => {
    $('workspace').hidden = true;
    $('sign-out').hidden = true;
    $('whoami').textContent = '';
  },
  onSignedIn: () => start(),
});

$('sign-out').addEventListener('click', () => {
  signOut();
  showSignIn();
});

for (const button of document.querySelectorAll('.periods button')) {
  button.addEventListener('click', () => {
    state.days = Number(button.dataset.days);
    void loadPatient();
  });
}

$('patient-select').addEventListener('change', () => {
  state.patientId = $('patient-select').value;
  void loadPatient();
});

$('report-month').addEventListener('change', updateReportLink);

/** Saves a PDF report; what went wrong (a month outside the episode, …) is said next to the buttons. */
async function savePdf(path, what) {
  $('download-status').textContent = `Preparing the ${what}…`;
  try {
    const name = await download(path);
    $('download-status').textContent = `Downloaded ${name}.`;
  } catch (err) {
    $('download-status').textContent = `The ${what} could not be made: ${err.message}`;
  }
}

$('monthly-pdf').addEventListener('click', () => {
  if (!state.patientId) return;
  const q = new URLSearchParams({ month: $('report-month').value });
  void savePdf(`/api/patients/${encodeURIComponent(state.patientId)}/reports/monthly.pdf?${q}`, 'monthly report');
});

$('closing-pdf').addEventListener('click', () => {
  const id = $('closing-pdf').dataset.episodeId;
  if (id) void savePdf(`/api/episodes/${encodeURIComponent(id)}/closing-report.pdf`, 'closing report');
});

/** The closing report is offered for the patient's last ended episode, if any. */
async function loadEpisodes(patientId) {
  const button = $('closing-pdf');
  button.hidden = true;
  delete button.dataset.episodeId;
  const episodes = await get(`/api/patients/${encodeURIComponent(patientId)}/episodes`);
  if (state.patientId !== patientId) return;
  const ended = episodes.find((e) => e.status === 'ended');
  if (ended) {
    button.dataset.episodeId = ended.id;
    button.title = `Episode ${ended.startDate} – ${ended.endDate}`;
    button.hidden = false;
  }
}

function updateReportLink() {
  const q = new URLSearchParams({ patient: state.patientId ?? '', month: $('report-month').value });
  $('report-link').href = `/report.html?${q}`;
}

function previousMonth(now) {
  const d = new Date(now.getFullYear(), now.getMonth() - 1, 1);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
}

async function start() {
  $('sign-in').hidden = true;
  $('workspace').hidden = false;
  $('sign-out').hidden = false;
  $('whoami').textContent = currentUser() ?? '';
  $('report-month').value = previousMonth(new Date());
  try {
    state.patients = await get('/api/patients');
  } catch (err) {
    if (err.status === 401) return;
    state.patients = [];
    $('status').textContent = `Patient list unavailable (${err.message}).`;
  }
  if (!state.patientId && state.patients.length) state.patientId = state.patients[0].id;
  const select = $('patient-select');
  select.replaceChildren();
  const option = (text, value) => Object.assign(document.createElement('option'), { textContent: text, value });
  for (const p of state.patients) select.append(option(`${p.displayName} (${p.profile})`, p.id));
  if (state.patientId && !state.patients.some((p) => p.id === state.patientId)) select.append(option(state.patientId, state.patientId));
  if (state.patientId) select.value = state.patientId;
  if (state.patientId) await loadPatient();
  else $('status').textContent = 'No patient in your care teams.';
}

async function loadPatient() {
  const id = state.patientId;
  if (!id) return;
  updateReportLink();
  for (const b of document.querySelectorAll('.periods button')) b.setAttribute('aria-pressed', String(Number(b.dataset.days) === state.days));
  const patient = state.patients.find((p) => p.id === id);
  $('patient-title').textContent = patient ? `${patient.displayName} — ${patient.profile}` : 'Patient';
  $('status').textContent = 'Loading…';
  delete document.body.dataset.ready;
  const to = new Date();
  const from = new Date(to.getTime() - state.days * 86_400_000);
  const { bucket, bucketMs } = bucketFor(state.days);
  $('period-label').textContent = `(${state.days} days, ${bucket} buckets)`;
  $('alerts-period').textContent = `(active in the last ${state.days} days)`;
  state.thresholds = null;
  const results = await Promise.allSettled([
    loadThresholds(id),
    loadEpisodes(id),
    ...CHART_METRICS.map((m) => trends(id, m.metric, from, to, bucket)),
    nights(id, Math.min(state.days, 92)),
    alertsInPeriod(id, from, to),
    alertHandling(id, from, to),
    loadTelemonitoring(id),
  ]);
  if (state.patientId !== id) return; // another patient was chosen meanwhile
  const [, , ...rest] = results;
  state.charts = { patient, from, to, bucketMs, series: rest.slice(0, CHART_METRICS.length) };
  renderCharts();
  const nightsResult = rest[CHART_METRICS.length];
  if (nightsResult.status === 'fulfilled') renderNightsTable($('nights'), nightsResult.value);
  else $('nights').textContent = `Unavailable: ${nightsResult.reason.message}`;
  const alertsResult = rest[CHART_METRICS.length + 1];
  const handlingResult = rest[CHART_METRICS.length + 2];
  if (alertsResult.status === 'fulfilled') {
    const handling = handlingResult.status === 'fulfilled' ? handlingResult.value : undefined;
    renderAlertsTable($('alerts'), alertsResult.value.alerts, { handling, truncated: alertsResult.value.truncated, evidence: true });
    if (!handling) $('alerts').prepend(cell('p', `Names and notes unavailable (${handlingResult.reason.message}).`, 'error'));
  } else $('alerts').textContent = `Unavailable: ${alertsResult.reason.message}`;
  const failed = results.filter((r) => r.status === 'rejected').length;
  $('status').textContent = failed ? `${failed} part(s) could not be loaded.` : `Updated ${new Date().toLocaleTimeString()}.`;
  document.body.dataset.ready = 'true';
}

/** Draws the charts from the last loaded series, the band at the patient's current thresholds. */
function renderCharts() {
  if (!state.charts) return;
  const { patient, from, to, bucketMs, series } = state.charts;
  const profile = patient?.profile ?? state.thresholds?.profile;
  const charts = $('charts');
  charts.replaceChildren();
  CHART_METRICS.forEach((m, i) => {
    const band = bandFor(m.metric, state.thresholds, profile);
    const figure = document.createElement('figure');
    const caption = document.createElement('figcaption');
    caption.textContent = `${m.title} (${m.unit})`;
    if (band) {
      const note = document.createElement('span');
      note.className = 'muted band-label';
      note.textContent = ` — band: ${bandLabel(band, m.unit)}`;
      caption.append(note);
    }
    const box = document.createElement('div');
    figure.append(caption, box);
    figure.dataset.metric = m.metric;
    charts.append(figure);
    const r = series[i];
    if (r.status === 'fulfilled') {
      renderTrendChart(box, { ...m, buckets: r.value, fromMs: from.getTime(), toMs: to.getTime(), bucketMs, target: band });
    } else box.textContent = `Unavailable: ${r.reason.message}`;
  });
}

const INDICATION_LABEL = { niv: 'home non-invasive ventilation', oxygen: 'long-term oxygen therapy', 'niv+oxygen': 'ventilation and oxygen therapy' };

/** Whether the patient is under telemonitoring (alerts on), and the reviews of the data. */
async function loadTelemonitoring(id) {
  const status = $('episode-status');
  const [episodes, reviews] = await Promise.allSettled([
    get(`/api/patients/${encodeURIComponent(id)}/episodes`),
    get(`/api/patients/${encodeURIComponent(id)}/reviews`),
  ]);
  if (state.patientId !== id) return;
  if (episodes.status === 'fulfilled') {
    const active = episodes.value.find((e) => e.status === 'active');
    status.className = active ? 'episode-on' : 'episode-off';
    status.textContent = active
      ? `Under telemonitoring since ${active.startDate} (${INDICATION_LABEL[active.indication] ?? active.indication}) — alerts on.`
      : 'No active episode — alerts off. Readings are still stored; a physician starts an episode of telemonitoring to turn the alerts on.';
    status.dataset.alerts = active ? 'on' : 'off';
  } else status.textContent = `Telemonitoring status unavailable (${episodes.reason.message}).`;
  const box = $('reviews');
  if (reviews.status !== 'fulfilled') {
    box.textContent = `Reviews unavailable (${reviews.reason.message}).`;
    return;
  }
  box.replaceChildren();
  if (reviews.value.length === 0) {
    box.append(cell('p', 'No review recorded yet.', 'muted'));
    return;
  }
  const table = document.createElement('table');
  const head = table.createTHead().insertRow();
  for (const label of ['Date', 'Analysis', 'Outcome']) head.append(cell('th', label));
  const body = table.createTBody();
  for (const r of reviews.value) {
    const tr = body.insertRow();
    tr.dataset.reviewId = r.id;
    tr.append(cell('td', new Date(r.at).toLocaleString()), cell('td', r.note), cell('td', r.outcome ?? '—'));
  }
  box.append(table);
}

async function loadThresholds(id) {
  try {
    const view = await get(`/api/patients/${encodeURIComponent(id)}/thresholds`);
    if (state.patientId !== id) return view;
    state.thresholds = view;
    renderThresholdsForm($('thresholds-form'), view);
    $('thresholds-status').textContent = view.updatedAt ? `Last changed ${new Date(view.updatedAt).toLocaleString()}` : '';
    schedulePreview(0);
    return view;
  } catch (err) {
    if (state.patientId !== id) throw err;
    $('thresholds-form').replaceChildren();
    $('thresholds-status').textContent = `Thresholds unavailable (${err.message}).`;
    throw err;
  }
}

$('review-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const id = state.patientId;
  const note = $('review-note').value.trim();
  const outcome = $('review-outcome').value.trim();
  if (!id || !note) return;
  try {
    await request('POST', `/api/patients/${encodeURIComponent(id)}/reviews`, outcome ? { note, outcome } : { note });
    if (state.patientId !== id) return;
    $('review-note').value = '';
    $('review-outcome').value = '';
    await loadTelemonitoring(id);
    $('review-status').textContent = `Review recorded ${new Date().toLocaleTimeString()}.`;
    document.body.dataset.reviewsSaved = String(Number(document.body.dataset.reviewsSaved ?? 0) + 1);
  } catch (err) {
    $('review-status').textContent = `Not recorded: ${err.message}`;
  }
});

$('thresholds-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const id = state.patientId;
  try {
    const saved = await put(`/api/patients/${encodeURIComponent(id)}/thresholds`, thresholdsBody($('thresholds-form'), state.thresholds));
    if (state.patientId !== id) return;
    state.thresholds = saved ?? state.thresholds;
    renderThresholdsForm($('thresholds-form'), state.thresholds);
    renderCharts(); // the band follows the new limits
    $('thresholds-status').textContent = `Saved ${new Date().toLocaleTimeString()}.`;
    document.body.dataset.thresholdsSaved = String(Number(document.body.dataset.thresholdsSaved ?? 0) + 1);
  } catch (err) {
    $('thresholds-status').textContent = `Not saved: ${err.message}`;
  }
});

// ---------- what-if: the edited settings replayed on the last 30 days (saves nothing) ----------

let previewTimer = null;
let previewSeq = 0;
function schedulePreview(delayMs = 600) {
  clearTimeout(previewTimer);
  previewTimer = setTimeout(() => void runPreview(), delayMs);
}

async function runPreview() {
  const id = state.patientId;
  if (!id || !state.thresholds) return;
  const seq = ++previewSeq;
  const body = { ...thresholdsBody($('thresholds-form'), state.thresholds), days: 30 };
  try {
    const preview = await post(`/api/patients/${encodeURIComponent(id)}/thresholds/preview`, body);
    if (seq !== previewSeq || state.patientId !== id) return;
    $('whatif').hidden = false;
    renderWhatIf($('whatif-body'), preview);
    document.body.dataset.previews = String(Number(document.body.dataset.previews ?? 0) + 1);
  } catch (err) {
    if (seq !== previewSeq) return;
    // Nurses may read thresholds but not preview them (physicians only): no what-if for them.
    if (err.status === 403) {
      $('whatif').hidden = true;
      return;
    }
    $('whatif').hidden = false;
    $('whatif-body').textContent = err.status === 400 ? `These settings cannot be previewed: ${err.message}` : `Preview unavailable (${err.message}).`;
  }
}

$('thresholds-form').addEventListener('input', () => schedulePreview());

// ---------- evidence of an alert ----------

$('alerts').addEventListener('click', async (event) => {
  const target = event.target instanceof window.Element ? event.target.closest('button[data-evidence-id]') : null;
  if (!target) return;
  const section = $('evidence-section');
  section.hidden = false;
  $('evidence').textContent = 'Loading…';
  try {
    renderEvidence($('evidence'), await get(`/api/alerts/${encodeURIComponent(target.dataset.evidenceId)}/evidence`));
  } catch (err) {
    $('evidence').textContent = `Evidence unavailable (${err.message}).`;
  }
  $('evidence-heading').scrollIntoView?.({ block: 'nearest' });
  $('evidence-heading').setAttribute('tabindex', '-1');
  $('evidence-heading').focus();
});

if (currentUser()) void start();
else showSignIn();
