import pg from 'pg';
import type { PublishMark } from './load-protocol.js';

/** When a poll first saw a device's newest stored SpO2 time move to `maxAt`. */
export interface Observation {
  observedAt: number;
  maxAt: number;
}

const POLL = `
  SELECT u.d AS device_id,
         (SELECT (extract(epoch FROM r.time) * 1000)::float8 FROM readings r
           WHERE r.device_id = u.d AND r.metric = 'spo2' ORDER BY r.time DESC LIMIT 1) AS max_at
    FROM unnest($1::text[]) AS u(d)`;

/**
 * Store latency, device publish → row committed, as a reader sees it: a dedicated connection
 * reads the newest stored SpO2 time of each watched device every `intervalMs` (one index probe
 * per device on the primary key). A message counts as stored at the end of the first poll that
 * returns its newest sample (a commit is visible only once committed), so the figure includes
 * up to one poll interval plus one poll query of measurement delay: it never flatters.
 */
export class StoreLatencyPoller {
  private readonly observations = new Map<string, Observation[]>();
  private client: pg.Client | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  polls = 0;

  constructor(
    private readonly url: string,
    private readonly deviceIds: string[],
    private readonly intervalMs = 20,
  ) {}

  async start(): Promise<void> {
    this.client = new pg.Client({ connectionString: this.url, application_name: 'bench-store-latency' });
    await this.client.connect();
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<Map<string, Observation[]>> {
    this.running = false;
    await this.loop;
    await this.client?.end().catch(() => undefined);
    return this.observations;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const started = Date.now();
      try {
        const { rows } = await this.client!.query<{ device_id: string; max_at: number | null }>({ name: 'bench_store_poll', text: POLL, values: [this.deviceIds] });
        const observedAt = Date.now();
        this.polls++;
        for (const r of rows) {
          if (r.max_at === null) continue;
          const list = this.observations.get(r.device_id) ?? [];
          if (list.length === 0 || list[list.length - 1]!.maxAt < r.max_at) list.push({ observedAt, maxAt: Number(r.max_at) });
          this.observations.set(r.device_id, list);
        }
      } catch {
        // A failed poll only widens the measurement interval.
      }
      const wait = this.intervalMs - (Date.now() - started);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }
}

/**
 * Matches each acknowledged publish of a watched device with the first observation that shows
 * its newest sample stored. Returns the latencies (ms) and how many publishes were never seen.
 */
export function storeLatencies(marks: readonly PublishMark[], observations: ReadonlyMap<string, readonly Observation[]>): { latencies: number[]; unseen: number } {
  const latencies: number[] = [];
  let unseen = 0;
  for (const mark of marks) {
    if (mark.ackedAt === null) continue;
    const list = observations.get(mark.deviceId) ?? [];
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.maxAt < mark.markerAt) lo = mid + 1;
      else hi = mid;
    }
    if (lo === list.length) unseen++;
    else latencies.push(Math.max(0, list[lo]!.observedAt - mark.publishedAt));
  }
  return { latencies, unseen };
}
