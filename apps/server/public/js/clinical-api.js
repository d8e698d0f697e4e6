// REST access for the physician's pages (patient.html, report.html): token in sessionStorage,
// JSON in and out, errors as { status, code, message } (CONTRACT.md §4 error format).
import { collectAlertPages } from './clinical-alerts.js';

const TOKEN_KEY = 'tm.clinical.token';
const USER_KEY = 'tm.clinical.user';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function currentUser() {
  return sessionStorage.getItem(TOKEN_KEY) ? sessionStorage.getItem(USER_KEY) : null;
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(USER_KEY);
}

export async function signIn(username, password) {
  const res = await fetch('/api/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, body.error?.code ?? 'ERROR', body.error?.message ?? `sign-in failed (${res.status})`);
  sessionStorage.setItem(TOKEN_KEY, body.accessToken);
  sessionStorage.setItem(USER_KEY, username);
}

/** Called when the token is missing or refused: the page shows its sign-in form. */
let onUnauthenticated = () => {};
export function whenSignedOut(callback) {
  onUnauthenticated = callback;
}

export async function request(method, path, body) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const res = await fetch(path, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (res.status === 401) {
    signOut();
    onUnauthenticated();
  }
  if (!res.ok) throw new ApiError(res.status, parsed?.error?.code ?? 'ERROR', parsed?.error?.message ?? `${method} ${path}: ${res.status}`);
  return parsed;
}

/**
 * Downloads a file the API serves (a PDF report): fetched with the token, saved under the file
 * name the server gives (Content-Disposition). Errors as request()'s.
 */
export async function download(path) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const res = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (res.status === 401) {
    signOut();
    onUnauthenticated();
  }
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    throw new ApiError(res.status, body.error?.code ?? 'ERROR', body.error?.message ?? `GET ${path}: ${res.status}`);
  }
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? 'report.pdf';
  const url = URL.createObjectURL(await res.blob());
  const link = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return name;
}

export const get = (path) => request('GET', path);
export const put = (path, body) => request('PUT', path, body);
export const post = (path, body) => request('POST', path, body);

/** Trends of one metric: [{ start, min, avg, max, count }]. */
export function trends(patientId, metric, from, to, bucket) {
  const q = new URLSearchParams({ metric, from: from.toISOString(), to: to.toISOString(), bucket });
  return get(`/api/patients/${encodeURIComponent(patientId)}/trends?${q}`);
}

export function nights(patientId, days, until) {
  const q = new URLSearchParams({ days: String(days) });
  if (until) q.set('until', until);
  return get(`/api/patients/${encodeURIComponent(patientId)}/nights?${q}`);
}

export const ALERT_PAGE_SIZE = 500;
/** 20 pages of 500: beyond, the page says the list is incomplete rather than stalling. */
export const ALERT_MAX_PAGES = 20;

/**
 * Every alert of the patient active during [from, to) (GET /api/alerts?patientId=&from=&to=, all
 * statuses, newest first, paged with beforeId): { alerts, truncated }.
 */
export function alertsInPeriod(patientId, from, to, { pageSize = ALERT_PAGE_SIZE, maxPages = ALERT_MAX_PAGES } = {}) {
  return collectAlertPages(
    (beforeId) => {
      const q = new URLSearchParams({ patientId, from: from.toISOString(), to: to.toISOString(), limit: String(pageSize) });
      if (beforeId) q.set('beforeId', beforeId);
      return get(`/api/alerts?${q}`);
    },
    { pageSize, maxPages },
  );
}

/** Who handled the period's alerts and their notes, as a Map alertId → entry. */
export async function alertHandling(patientId, from, to) {
  const q = new URLSearchParams({ from: from.toISOString(), to: to.toISOString() });
  const rows = await get(`/api/patients/${encodeURIComponent(patientId)}/alert-handling?${q}`);
  return new Map(rows.map((h) => [h.alertId, h]));
}
