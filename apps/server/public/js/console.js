// Nurse console: sign in, live alerts over socket.io /console (CONTRACT.md §2), ack/resolve,
// cues for new critical alerts, connection indicator, SpO2 / pulse sparklines. No build step.
import { AlertStore, isNewCritical } from './alert-store.js';
import { ago, clockTime, formatValue, ruleLabel, SEVERITY_LABEL, STATUS_LABEL } from './format.js';
import { beep, setConnection, showBanner, unlockAudio } from './cues.js';
import { sparkline } from './sparkline.js';
import { patientPageLink } from './patient-link.js';
import { renderPatientList, summary } from './console-patients.js';
import { renderEvidence } from './evidence-chart.js';

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = 'tm.console.token';
const USER_KEY = 'tm.console.user';
const EXPIRES_KEY = 'tm.console.expiresAt';
const RESYNC_EVERY_MS = 5 * 60 * 1000;
const TREND_TTL_MS = 5 * 60 * 1000; // each trends read is audited: refresh on new alerts, else every 5 min

const state = {
  token: sessionStorage.getItem(TOKEN_KEY),
  username: sessionStorage.getItem(USER_KEY),
  // When the access token expires (epoch ms); it is renewed before, silently (CONTRACT.md §9).
  expiresAt: Number(sessionStorage.getItem(EXPIRES_KEY)) || 0,
  renewTimer: null,
  renewing: null,
  socket: null,
  store: new AlertStore(),
  patients: new Map(), // id → displayName
  patientsLoadedAt: 0,
  trends: new Map(), // patientId → { at, spo2, pulse }
  alertsOff: new Set(), // patients without an active episode (from the patient list)
  everConnected: false,
  syncing: null,
  sound: true,
  highlighted: new Set(), // alert ids flagged as new critical until handled
};

// ---------- REST ----------

async function api(path, options = {}, retried = false) {
  const res = await fetch(path, {
    ...options,
    headers: { ...(options.body ? { 'content-type': 'application/json' } : {}), ...(state.token ? { authorization: `Bearer ${state.token}` } : {}) },
  });
  const body = res.status === 204 ? undefined : await res.json().catch(() => undefined);
  // An access token that ran out (laptop asleep, timer late): renew once with the refresh cookie and retry.
  if (res.status === 401 && body?.error?.code === 'TOKEN_EXPIRED' && !retried && !path.startsWith('/api/auth/')) {
    if (await renew()) return api(path, options, true);
  }
  return { status: res.status, body };
}

// ---------- session: silent renewal ----------

function keepToken(accessToken, expiresIn) {
  state.token = accessToken;
  state.expiresAt = Date.now() + expiresIn * 1000;
  sessionStorage.setItem(TOKEN_KEY, state.token);
  sessionStorage.setItem(EXPIRES_KEY, String(state.expiresAt));
  scheduleRenew();
}

/** Renews a little before expiry: a minute before, or a third of the lifetime for short ones. */
function scheduleRenew() {
  clearTimeout(state.renewTimer);
  if (!state.token) return;
  const left = state.expiresAt - Date.now();
  const margin = Math.min(60000, Math.max(1000, left / 3));
  state.renewTimer = setTimeout(() => void renew(), Math.max(0, left - margin));
}

/**
 * The refresh cookie (httpOnly: the page never sees it) → a new access token, handed to the live
 * connection with `auth.renew`, so the board and its connection go on. One renewal at a time: the
 * refresh token rotates, and presenting a used one ends the login. Resolves true on success.
 */
function renew() {
  if (state.renewing) return state.renewing;
  state.renewing = (async () => {
    try {
      const res = await fetch('/api/auth/refresh', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      if (res.status === 401) {
        signOut('Your session has ended. Sign in again to resume live alerts.');
        return false;
      }
      if (res.status !== 200) throw new Error(`refresh answered ${res.status}`);
      const body = await res.json();
      keepToken(body.accessToken, body.expiresIn);
      if (state.socket?.connected) {
        const answer = await state.socket.timeout(10000).emitWithAck('auth.renew', { token: state.token }).catch(() => undefined);
        // Not renewed on the socket: it ends at the old token's expiry and reconnects with the new one.
        if (answer?.error) console.warn('auth.renew refused', answer.error.code);
      }
      return true;
    } catch {
      // Server unreachable for now: try again soon (the socket reconnects with the token it has).
      clearTimeout(state.renewTimer);
      state.renewTimer = setTimeout(() => void renew(), 5000);
      return false;
    } finally {
      state.renewing = null;
    }
  })();
  return state.renewing;
}

/** The patient list with its flags (alerts off, transmission check, review overdue); an audited read, so every 5 minutes. */
async function loadPatientList() {
  try {
    const { status, body } = await api('/api/telemonitoring/patients');
    if (status !== 200 || !Array.isArray(body)) {
      $('patients-status').textContent = `Patient list unavailable (${body?.error?.message ?? status}).`;
      return;
    }
    renderPatientList($('patients-body'), body);
    state.alertsOff = new Set(body.filter((r) => !r.alertsOn).map((r) => r.patientId));
    render();
    $('patients-summary').textContent = `(${summary(body)})`;
    $('patients-status').textContent = body.length ? '' : 'No patient in your care teams.';
    document.body.dataset.patientsLoaded = String(Number(document.body.dataset.patientsLoaded ?? 0) + 1);
  } catch {
    $('patients-status').textContent = 'Patient list unavailable: server unreachable.';
  }
}

async function loadPatients(force = false) {
  if (!force && Date.now() - state.patientsLoadedAt < 30000) return;
  state.patientsLoadedAt = Date.now();
  try {
    const { status, body } = await api('/api/patients');
    if (status === 200 && Array.isArray(body)) {
      for (const p of body) if (p && p.id) state.patients.set(p.id, p.displayName ?? p.id);
      render();
    }
  } catch {
    /* names are a convenience: ids are shown instead */
  }
}

async function loadTrends(patientId) {
  const cached = state.trends.get(patientId);
  if (cached && Date.now() - cached.at < TREND_TTL_MS) return;
  state.trends.set(patientId, { at: Date.now(), spo2: cached?.spo2, pulse: cached?.pulse });
  const to = new Date();
  const from = new Date(to.getTime() - 60 * 60 * 1000);
  const q = (metric) => `/api/patients/${encodeURIComponent(patientId)}/trends?metric=${metric}&bucket=1m&from=${from.toISOString()}&to=${to.toISOString()}`;
  const get = async (metric) => {
    try {
      const { status, body } = await api(q(metric));
      if (status !== 200) return undefined;
      return Array.isArray(body) ? body : Array.isArray(body?.buckets) ? body.buckets : undefined;
    } catch {
      return undefined;
    }
  };
  const [spo2, pulse] = await Promise.all([get('spo2'), get('pulseRate')]);
  state.trends.set(patientId, { at: Date.now(), spo2, pulse });
  render();
}

// ---------- live connection ----------

function connect() {
  if (state.socket) state.socket.disconnect();
  // The token is read at each (re)connection attempt.
  const socket = window.io('/console', { auth: (cb) => cb({ token: state.token }), reconnectionDelayMax: 5000 });
  state.socket = socket;
  setConnection('connecting', 'Connecting…');

  socket.on('connect', () => {
    const restored = state.everConnected;
    state.everConnected = true;
    setConnection('live', 'Live');
    void sync(restored ? 'restored' : 'initial');
  });
  socket.on('disconnect', (reason) => {
    if (reason === 'io client disconnect') return;
    setConnection('lost', 'Connection lost — reconnecting…');
    showBanner(`Live connection lost at ${new Date().toLocaleTimeString()}. New alerts are not shown until it is back; reconnecting…`, 'warn');
    // socket.io retries by itself except after a server-side disconnect (restart, revalidation).
    if (reason === 'io server disconnect') setTimeout(() => state.socket === socket && state.token && socket.connect(), 2000);
  });
  socket.on('connect_error', (err) => {
    const code = err?.data?.code;
    if (code === 'TOKEN_EXPIRED') {
      // Renew with the refresh cookie and connect again; sign out only if that fails.
      void renew().then((ok) => ok && state.socket === socket && socket.connect());
      return;
    }
    if (code === 'UNAUTHENTICATED') {
      signOut(code === 'TOKEN_EXPIRED' ? 'Your session has expired. Sign in again to resume live alerts.' : 'Please sign in again.');
      return;
    }
    setConnection('lost', 'Connection lost — reconnecting…');
    if (!socket.active) setTimeout(() => socket.connect(), 2000);
  });
  socket.on('alert.raised', (alert) => onLive(alert));
  socket.on('alert.updated', (alert) => onLive(alert));
  socket.on('alerts.resync', () => void sync('resync'));
  // The server ends the connection next (token not renewed in time, or account deactivated): renew,
  // and the reconnection after the server's disconnect uses the new token; the board is kept.
  socket.on('auth.expired', () => void renew());
}

async function sync(reason) {
  if (state.syncing) return state.syncing;
  state.syncing = (async () => {
    const before = new Set(state.store.alerts.keys());
    let received = 0;
    try {
      for (let page = 0; page < 100; page++) {
        const payload = state.store.lastEventId === null ? {} : { afterId: state.store.lastEventId };
        const answer = await state.socket.timeout(15000).emitWithAck('alerts.sync', payload);
        if (answer?.error) {
          if (answer.error.code === 'UNAUTHENTICATED') signOut('Please sign in again.');
          else {
            showBanner(`Could not load alerts (${answer.error.code}). Retrying shortly.`, 'warn');
            retrySyncSoon();
          }
          return;
        }
        const changes = state.store.applySync(answer);
        received += changes.length;
        if (reason !== 'initial') for (const change of changes) if (isNewCritical(change)) cue(change.alert);
        if (!answer.hasMore) break;
      }
      $('last-sync').textContent = `Synchronised at ${new Date().toLocaleTimeString()}`;
      if (reason === 'restored') {
        const added = [...state.store.alerts.keys()].filter((id) => !before.has(id)).length;
        showBanner(`Live connection restored. ${added} new alert${added === 1 ? '' : 's'} and ${received} change${received === 1 ? '' : 's'} loaded.`, 'ok', 8000);
      }
    } catch {
      showBanner('Could not load alerts (no answer). Retrying shortly.', 'warn');
      retrySyncSoon();
    } finally {
      state.syncing = null;
      render();
    }
  })();
  return state.syncing;
}

/** A failed sync leaves the list possibly incomplete: try again while the socket is up. */
function retrySyncSoon() {
  const socket = state.socket;
  setTimeout(() => {
    if (state.socket === socket && socket?.connected) void sync('retry');
  }, 5000);
}

function onLive(alert) {
  const result = state.store.apply(alert);
  if (result.change === 'stale' || result.change === 'same') return;
  if (isNewCritical(result)) cue(result.alert);
  if (!state.patients.has(alert.patientId)) void loadPatients(true);
  state.trends.delete(alert.patientId);
  render();
}

// ---------- cues ----------

function cue(alert) {
  state.highlighted.add(alert.id);
  showBanner(`New critical alert: ${patientName(alert.patientId)} — ${ruleLabel(alert.rule)} ${formatValue(alert)}`, 'critical');
  document.title = `(!) Critical alert — Nurse console`;
  if (state.sound) beep();
}

// ---------- rendering ----------

function patientName(id) {
  return state.patients.get(id) ?? `Patient ${id.slice(0, 8)}`;
}

function cell(row, content, className) {
  const td = document.createElement('td');
  if (className) td.className = className;
  if (content instanceof window.Node) td.appendChild(content);
  else td.textContent = content;
  row.appendChild(td);
  return td;
}

function button(label, onClick, accessibleName) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  b.setAttribute('aria-label', accessibleName);
  b.addEventListener('click', onClick);
  return b;
}

function render() {
  const now = Date.now();
  const body = $('alerts-body');
  const active = state.store.active();
  const focusedId = document.activeElement?.dataset?.focusKey;
  body.replaceChildren();
  for (const alert of active) {
    const tr = document.createElement('tr');
    tr.className = `sev-${alert.severity} st-${alert.status}${state.highlighted.has(alert.id) ? ' is-new' : ''}`;
    tr.dataset.alertId = alert.id;
    const sev = document.createElement('span');
    sev.className = `sev sev-badge-${alert.severity}`;
    sev.textContent = SEVERITY_LABEL[alert.severity] ?? alert.severity;
    cell(tr, sev);
    const th = document.createElement('th');
    th.scope = 'row';
    // The patient's name opens the patient page (trends, nights, evidence), in this tab.
    th.appendChild(patientPageLink(alert.patientId, patientName(alert.patientId)));
    // Left open when the patient's episode ended: the rules no longer run for this patient.
    if (state.alertsOff.has(alert.patientId)) {
      const off = document.createElement('small');
      off.className = 'message alerts-off';
      off.textContent = 'No active episode — alerts off';
      th.appendChild(off);
    }
    tr.appendChild(th);
    const rule = cell(tr, ruleLabel(alert.rule) + (alert.escalated ? ' · escalated' : '') + (alert.occurrences > 1 ? ` ×${alert.occurrences}` : ''));
    if (alert.message) {
      const message = document.createElement('small');
      message.className = 'message';
      message.textContent = alert.message;
      rule.appendChild(message);
    }
    cell(tr, formatValue(alert), 'num');
    cell(tr, news2Text(alert), 'news2');
    const when = cell(tr, ago(Date.parse(alert.openedAt), now));
    when.title = `Raised ${clockTime(alert.openedAt)}; first abnormal sample ${clockTime(alert.startedAt)}; last ${clockTime(alert.lastTriggeredAt)}`;
    cell(tr, STATUS_LABEL[alert.status] ?? alert.status);
    const trend = state.trends.get(alert.patientId);
    const charts = document.createElement('span');
    charts.className = 'charts';
    charts.append(
      sparkline(trend?.spo2, { label: 'SpO₂', unit: '%', className: 'spark-spo2' }),
      sparkline(trend?.pulse, { label: 'Pulse', unit: '/min', className: 'spark-pulse' }),
    );
    cell(tr, charts);
    const actions = document.createElement('span');
    actions.className = 'actions';
    const name = `${ruleLabel(alert.rule)} for ${patientName(alert.patientId)}`;
    if (alert.status === 'open') {
      const ack = button('Acknowledge', () => openAction('ack', alert.id, `ack-${alert.id}`), `Acknowledge ${name}`);
      ack.dataset.focusKey = `ack-${alert.id}`;
      actions.appendChild(ack);
    }
    const resolve = button('Resolve', () => openAction('resolve', alert.id, `resolve-${alert.id}`), `Resolve ${name}`);
    resolve.dataset.focusKey = `resolve-${alert.id}`;
    actions.appendChild(resolve);
    const evidence = button('Evidence', () => void openEvidence(alert.id, `evidence-${alert.id}`), `Evidence of ${name}`);
    evidence.dataset.focusKey = `evidence-${alert.id}`;
    actions.appendChild(evidence);
    cell(tr, actions);
    body.appendChild(tr);
    void loadTrends(alert.patientId); // no-op while the cached trend is fresh
  }
  if (focusedId) body.querySelector(`[data-focus-key="${focusedId}"]`)?.focus();
  $('alert-count').textContent = `(${active.length})`;
  $('empty').hidden = active.length > 0;
  const critical = active.some((a) => a.severity === 'critical' && a.status === 'open');
  if (!critical) document.title = 'Nurse console — Telemonitoring';

  const resolved = state.store.resolved();
  $('resolved-count').textContent = `(${resolved.length})`;
  $('resolved-list').replaceChildren(
    ...resolved.map((a) => {
      const li = document.createElement('li');
      li.textContent = `${patientName(a.patientId)} — ${ruleLabel(a.rule)} ${formatValue(a)} — resolved ${a.resolvedAt ? ago(Date.parse(a.resolvedAt), now) : ''}${a.resolution === 'cleared' ? ' (cleared)' : ''}`;
      return li;
    }),
  );
}

/**
 * The NEWS2 column: the server's label (the SpO₂ sub-score said so, or a partial NEWS2 said so);
 * never a bare number, so a pulse alert never reads as a NEWS2 of 0.
 */
function news2Text(alert) {
  if (alert.news2?.label) return alert.news2.label;
  if (alert.rule?.startsWith('pulse.')) return 'not scored';
  return alert.news2Spo2Score === null || alert.news2Spo2Score === undefined ? 'not scored' : `SpO₂ sub-score ${alert.news2Spo2Score}`;
}

// ---------- evidence ----------

let evidenceOpener = null;
async function openEvidence(alertId, openerKey) {
  const alert = state.store.alerts.get(alertId);
  if (!alert) return;
  evidenceOpener = openerKey;
  $('evidence-title').textContent = `Evidence — ${patientName(alert.patientId)}, ${ruleLabel(alert.rule)}`;
  $('evidence-body').replaceChildren();
  $('evidence-body').textContent = 'Loading…';
  $('evidence-dialog').showModal();
  $('evidence-close').focus();
  const { status, body } = await api(`/api/alerts/${encodeURIComponent(alertId)}/evidence`);
  if (status !== 200) {
    $('evidence-body').textContent = `Evidence unavailable (${body?.error?.message ?? status}).`;
    return;
  }
  renderEvidence($('evidence-body'), body);
}

function closeEvidence() {
  if ($('evidence-dialog').open) $('evidence-dialog').close();
  const opener = evidenceOpener ? document.querySelector(`[data-focus-key="${evidenceOpener}"]`) : null;
  evidenceOpener = null;
  (opener ?? $('alerts-table')).focus();
}

// ---------- acknowledge / resolve ----------

let pending = null;
function openAction(kind, alertId, openerKey) {
  const alert = state.store.alerts.get(alertId);
  if (!alert) return;
  pending = { kind, alertId, openerKey };
  $('action-title').textContent = kind === 'ack' ? 'Acknowledge alert' : 'Resolve alert';
  $('action-summary').textContent = `${patientName(alert.patientId)} — ${ruleLabel(alert.rule)} ${formatValue(alert)}`;
  $('action-note').value = '';
  $('action-error').textContent = '';
  $('action-dialog').showModal();
  $('action-note').focus();
}

async function confirmAction(event) {
  event.preventDefault();
  if (!pending) return;
  const { kind, alertId } = pending;
  const note = $('action-note').value.trim();
  $('action-confirm').disabled = true;
  try {
    const answer = await state.socket.timeout(10000).emitWithAck(kind === 'ack' ? 'alert.ack' : 'alert.resolve', note ? { id: alertId, note } : { id: alertId });
    if (answer?.error) {
      $('action-error').textContent = `Not done: ${answer.error.message} (${answer.error.code})`;
      return;
    }
    state.store.applyAnswer(answer);
    state.highlighted.delete(alertId);
    closeAction();
    showBanner(`${kind === 'ack' ? 'Acknowledged' : 'Resolved'}: ${patientName(answer.patientId)} — ${ruleLabel(answer.rule)}`, 'ok', 5000);
    render();
  } catch {
    $('action-error').textContent = 'No answer from the server (connection lost?). Nothing was changed on this screen; try again.';
  } finally {
    $('action-confirm').disabled = false;
  }
}

function closeAction() {
  const key = pending?.openerKey;
  pending = null;
  if ($('action-dialog').open) $('action-dialog').close();
  // The row may have been re-rendered (or be gone once resolved): focus its button, else the table.
  const opener = key ? document.querySelector(`[data-focus-key="${key}"]`) : null;
  (opener ?? $('alerts-table')).focus();
}

// ---------- sign in / out ----------

async function signIn(event) {
  event.preventDefault();
  const username = $('username').value.trim();
  const password = $('password').value;
  $('login-submit').disabled = true;
  $('login-message').textContent = '';
  unlockAudio(); // on a user gesture, so that the cue may sound later
  try {
    const { status, body } = await api('/api/auth/login', { method: 'POST', body: JSON.stringify({ username, password }) });
    if (status !== 200) {
      $('login-message').textContent = body?.error?.message ? `Sign-in failed: ${body.error.message}` : `Sign-in failed (${status})`;
      return;
    }
    // Another user signing in on this workstation must not see what the previous one saw.
    if (username !== state.username) resetBoard();
    keepToken(body.accessToken, body.expiresIn);
    state.username = username;
    sessionStorage.setItem(USER_KEY, username);
    $('password').value = '';
    start();
  } catch {
    $('login-message').textContent = 'Sign-in failed: server unreachable.';
  } finally {
    $('login-submit').disabled = false;
  }
}

function signOut(message) {
  state.socket?.disconnect();
  state.socket = null;
  state.token = null;
  clearTimeout(state.renewTimer);
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(EXPIRES_KEY);
  $('who').hidden = true;
  $('login').hidden = false;
  // The board stays visible (stale) under the sign-in form when the session ended by itself.
  $('board').hidden = !message;
  $('board').classList.toggle('stale', Boolean(message));
  $('login-message').textContent = message ?? '';
  setConnection('off', message ? 'Not connected — sign in' : 'Not connected');
  if (message) showBanner(message, 'warn');
  $('username').focus();
}

/** Forgets every alert, cursor, name and chart of the previous session. */
function resetBoard() {
  state.store = new AlertStore();
  state.everConnected = false;
  state.patients = new Map();
  state.patientsLoadedAt = 0;
  state.trends = new Map();
  state.highlighted = new Set();
  state.alertsOff = new Set();
  $('patients-body').replaceChildren();
  $('patients-summary').textContent = '';
  render();
}

function start() {
  $('login').hidden = true;
  $('board').hidden = false;
  $('board').classList.remove('stale');
  $('who').hidden = false;
  $('who-name').textContent = state.username ?? '';
  connect();
  void loadPatients(true);
  void loadPatientList();
  render();
  $('alerts-table').focus();
}

function init() {
  $('login-form').addEventListener('submit', (e) => void signIn(e));
  $('sign-out').addEventListener('click', () => {
    // Ends the login on the server too (refresh cookie and access token), whatever the answer.
    if (state.token) void fetch('/api/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${state.token}` } }).catch(() => undefined);
    resetBoard();
    signOut();
  });
  $('action-form').addEventListener('submit', (e) => void confirmAction(e));
  $('action-cancel').addEventListener('click', () => closeAction());
  $('action-dialog').addEventListener('cancel', (e) => {
    e.preventDefault();
    closeAction();
  });
  $('evidence-close').addEventListener('click', () => closeEvidence());
  $('evidence-dialog').addEventListener('cancel', (e) => {
    e.preventDefault();
    closeEvidence();
  });
  $('sound-toggle').addEventListener('click', () => {
    state.sound = !state.sound;
    $('sound-toggle').setAttribute('aria-pressed', String(state.sound));
    $('sound-toggle').textContent = state.sound ? 'Sound on' : 'Sound off';
    if (state.sound) beep();
  });
  // Keep "how long ago" current and the sparklines fresh; re-sync now and then as a safety net.
  setInterval(() => render(), 15000);
  setInterval(() => {
    if (state.socket?.connected) void sync('periodic');
    if (state.token) void loadPatientList();
  }, RESYNC_EVERY_MS);
  if (state.token) {
    scheduleRenew();
    start();
  } else $('username').focus();
}

init();
