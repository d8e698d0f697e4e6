import { SimDevice } from '../device/sim-device.js';
import { RestClient } from '../provisioning/rest-client.js';
import { buildBadInputCases, type BadInputCase } from './bad-input-cases.js';

export interface BadInputRunOptions {
  mqttUrl: string;
  deviceId: string;
  secret?: string;
  /** The clock used to build timestamps (default now). */
  now?: number;
  unknownDeviceId?: string;
  /** Compare with what the backend recorded (GET /api/admin/rejections, admin token). */
  verify?: { apiUrl: string; token: string; timeoutMs?: number };
  log?: (message: string) => void;
}

export interface BadInputOutcome {
  id: string;
  description: string;
  topic: string;
  bytes: number;
  expectedReason: string;
  scope: 'message' | 'item';
  acknowledged: boolean;
  /** With verify: whether the backend recorded a rejection with this reason for this topic. */
  recorded?: boolean;
}

export interface BadInputReport {
  sentAt: string;
  deviceId: string;
  cases: BadInputOutcome[];
  verified?: { ok: boolean; missing: string[] };
}

interface RejectionRow {
  topic: string;
  reason: string;
}

/** Publishes every bad-input case from one device, then (optionally) checks the backend recorded each. */
export async function runBadInput(o: BadInputRunOptions): Promise<BadInputReport> {
  const now = o.now ?? Date.now();
  const sentAt = new Date(now - 1000).toISOString();
  const cases = buildBadInputCases({ deviceId: o.deviceId, now, unknownDeviceId: o.unknownDeviceId });
  const device = new SimDevice({ mqttUrl: o.mqttUrl, deviceId: o.deviceId, secret: o.secret, log: o.log });
  await device.connect();
  const outcomes: BadInputOutcome[] = [];
  try {
    for (const c of cases) {
      const r = await device.publish(c.payload, { topic: c.topic, samples: c.expected.storedSamples });
      o.log?.(`${c.id.padEnd(28)} → expect ${c.expected.reason} (${c.expected.scope})${r.error ? ` [publish failed: ${r.error}]` : ''}`);
      outcomes.push({
        id: c.id,
        description: c.description,
        topic: c.topic,
        bytes: c.payload.byteLength,
        expectedReason: c.expected.reason,
        scope: c.expected.scope,
        acknowledged: r.latencyMs !== undefined,
      });
    }
  } finally {
    await device.close();
  }
  const report: BadInputReport = { sentAt, deviceId: o.deviceId, cases: outcomes };
  if (o.verify) report.verified = await verifyRecorded(cases, outcomes, sentAt, o.verify);
  return report;
}

/** Polls the admin rejections API until every case's (topic, reason) is there, or the timeout. */
async function verifyRecorded(
  cases: BadInputCase[],
  outcomes: BadInputOutcome[],
  since: string,
  v: { apiUrl: string; token: string; timeoutMs?: number },
): Promise<{ ok: boolean; missing: string[] }> {
  const api = new RestClient(v.apiUrl, v.token);
  const deadline = Date.now() + (v.timeoutMs ?? 15_000);
  const topics = new Set(cases.map((c) => c.topic));
  let missing: string[] = cases.map((c) => c.id);
  while (Date.now() < deadline) {
    const body = await api.request<RejectionRow[] | { items: RejectionRow[] }>('GET', `/api/admin/rejections?since=${encodeURIComponent(since)}`);
    const rows = (Array.isArray(body) ? body : body.items).filter((r) => topics.has(r.topic));
    const available = new Map<string, number>();
    for (const r of rows) available.set(`${r.topic} ${r.reason}`, (available.get(`${r.topic} ${r.reason}`) ?? 0) + 1);
    missing = [];
    for (const [i, c] of cases.entries()) {
      const key = `${c.topic} ${c.expected.reason}`;
      const n = available.get(key) ?? 0;
      outcomes[i]!.recorded = n > 0;
      if (n > 0) available.set(key, n - 1);
      else missing.push(c.id);
    }
    if (missing.length === 0) return { ok: true, missing };
    await new Promise((r) => setTimeout(r, 500));
  }
  return { ok: false, missing };
}
