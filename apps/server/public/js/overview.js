// The population view (/overview.html): one row per patient of the caller's care teams
// (GET /api/patients/overview, figures defined in docs/api.md), sortable by each column, each
// row linking to the patient page.
import { currentUser, request, signOut } from './clinical-api.js';
import { patientPageLink } from './patient-link.js';
import { setUpSignIn } from './clinical-sign-in.js';
import { addMessages, applyTranslations, formatDateTime, formatNumber, initLanguage, mountLanguageSwitch, onLanguageChange, t } from './i18n.js';
import { COMMON_MESSAGES } from './messages/common.js';
import { OVERVIEW_MESSAGES } from './messages/overview.js';

addMessages(COMMON_MESSAGES);
addMessages(OVERVIEW_MESSAGES);

const $ = (id) => document.getElementById(id);
const none = () => t('overview.none');
const num = (x, digits = 1) => (x === null || x === undefined ? none() : formatNumber(x, { maximumFractionDigits: digits }));

/** The columns: their label, the value they sort by (null last) and what the cell shows. */
export const COLUMNS = [
  { key: 'patient', label: 'overview.col.patient', sort: (r) => r.displayName.toLowerCase() },
  { key: 'lastData', label: 'overview.col.lastData', sort: (r) => (r.lastDataAt ? Date.parse(r.lastDataAt) : null), show: (r) => (r.lastDataAt ? formatDateTime(r.lastDataAt) : t('overview.never')) },
  { key: 'openAlerts', label: 'overview.col.openAlerts', sort: (r) => r.openAlerts, show: (r) => String(r.openAlerts) },
  { key: 'adherence', label: 'overview.col.adherence', sort: (r) => r.adherence7d, show: (r) => (r.adherence7d === null ? none() : `${num(r.adherence7d)} %`) },
  { key: 'leak', label: 'overview.col.leak', sort: (r) => r.leak7d, show: (r) => num(r.leak7d) },
  { key: 'ahi', label: 'overview.col.ahi', sort: (r) => r.ahi7d, show: (r) => num(r.ahi7d) },
  { key: 'spo2', label: 'overview.col.spo2', sort: (r) => r.spo2NightMean7d, show: (r) => num(r.spo2NightMean7d) },
  {
    key: 'compliance',
    label: 'overview.col.compliance',
    sort: (r) => r.compliance?.ratio ?? null,
    show: (r) => (r.compliance ? t('overview.compliance', { days: r.compliance.daysWithData, total: r.compliance.days }) : t('overview.alertsOff')),
  },
  {
    key: 'lastReview',
    label: 'overview.col.lastReview',
    sort: (r) => (r.lastReviewAt ? Date.parse(r.lastReviewAt) : null),
    show: (r) => `${r.lastReviewAt ? formatDateTime(r.lastReviewAt, { dateStyle: 'short' }) : t('overview.never')}${r.reviewOverdue ? ` (${t('overview.reviewOverdue')})` : ''}`,
  },
];

/** Rows sorted by one column; patients without a value come last whatever the direction. */
export function sortRows(rows, key, direction) {
  const column = COLUMNS.find((c) => c.key === key) ?? COLUMNS[0];
  const sign = direction === 'descending' ? -1 : 1;
  return [...rows].sort((a, b) => {
    const x = column.sort(a);
    const y = column.sort(b);
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
    return (x < y ? -1 : x > y ? 1 : 0) * sign || a.displayName.localeCompare(b.displayName);
  });
}

const DAY_MS = 86_400_000;

/**
 * The rows kept by the filters: the name contains `name` (case and accents ignored), with open
 * alerts, without data for 24 h (or never), review overdue.
 */
export function filterRows(rows, f, now) {
  const fold = (s) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
  const name = fold(f.name?.trim() ?? '');
  return rows.filter(
    (r) =>
      (!name || fold(r.displayName).includes(name)) &&
      (!f.alerts || r.openAlerts > 0) &&
      (!f.silent || r.lastDataAt === null || now - Date.parse(r.lastDataAt) >= DAY_MS) &&
      (!f.overdue || r.reviewOverdue),
  );
}

const state = { rows: [], sort: 'patient', direction: 'ascending' };

function filters() {
  return { name: $('filter-name').value, alerts: $('filter-alerts').checked, silent: $('filter-silent').checked, overdue: $('filter-overdue').checked };
}

function renderHead() {
  const head = $('overview-head');
  head.replaceChildren();
  for (const column of COLUMNS) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.dataset.column = column.key;
    th.setAttribute('aria-sort', state.sort === column.key ? state.direction : 'none');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'sort';
    button.textContent = t(column.label);
    button.title = t('overview.sortBy', { column: t(column.label) });
    button.addEventListener('click', () => {
      state.direction = state.sort === column.key && state.direction === 'ascending' ? 'descending' : 'ascending';
      state.sort = column.key;
      render();
      document.querySelector(`th[data-column="${column.key}"] button`)?.focus();
    });
    th.append(button);
    head.append(th);
  }
}

function renderBody() {
  const body = $('overview-body');
  body.replaceChildren();
  const shown = filterRows(state.rows, filters(), Date.now());
  for (const r of sortRows(shown, state.sort, state.direction)) {
    const tr = body.insertRow();
    tr.dataset.patientId = r.patientId;
    const name = document.createElement('th');
    name.scope = 'row';
    name.append(patientPageLink(r.patientId, r.displayName));
    tr.append(name);
    for (const column of COLUMNS.slice(1)) {
      const cell = tr.insertCell();
      cell.dataset.column = column.key;
      // The header again, for the card layout of narrow screens (css/overview.css).
      cell.dataset.label = t(column.label);
      cell.textContent = column.show(r);
      if (column.key === 'openAlerts' && r.openAlerts > 0) cell.classList.add('attention');
    }
  }
  const n = state.rows.length;
  $('status').textContent = n === 0 ? t('overview.empty') : shown.length === n ? t('overview.count', { n }) : t('overview.shown', { shown: shown.length, n });
}

function render() {
  renderHead();
  renderBody();
}

async function start() {
  $('sign-in').hidden = true;
  $('workspace').hidden = false;
  $('sign-out').hidden = false;
  $('status').textContent = t('overview.loading');
  try {
    state.rows = await request('GET', '/api/patients/overview');
    render();
    document.body.dataset.ready = 'true';
  } catch (err) {
    $('status').textContent = t('overview.error', { message: err.message });
  }
}

initLanguage();
mountLanguageSwitch($('language'));
onLanguageChange(() => {
  applyTranslations();
  if (state.rows.length) render();
});
for (const id of ['filter-name', 'filter-alerts', 'filter-silent', 'filter-overdue']) $(id).addEventListener('input', renderBody);
const showSignIn = setUpSignIn({
  hideContent: () => {
    $('workspace').hidden = true;
    $('sign-out').hidden = true;
  },
  onSignedIn: () => start(),
  sessionEnded: () => t('overview.sessionEnded'),
});
$('sign-out').addEventListener('click', () => {
  signOut();
  showSignIn();
});
if (currentUser()) void start();
else showSignIn();
