import { describe, expect, it } from '@jest/globals';
import { LatencyRecorder, RunStats } from './run-stats.js';

describe('latency statistics', () => {
  it('gives nearest-rank percentiles over everything, and the recent window separately', () => {
    const l = new LatencyRecorder();
    for (let i = 1; i <= 2000; i++) l.add(i); // grows past the initial buffer
    expect(l.summary()).toMatchObject({ count: 2000, p50: 1000, p90: 1800, p99: 1980, max: 2000 });
    expect(l.takeRecent().count).toBe(2000);
    l.add(5);
    expect(l.takeRecent()).toMatchObject({ count: 1, p50: 5, p99: 5 });
    expect(new LatencyRecorder().summary()).toMatchObject({ count: 0, p50: null });
  });

  it('counts acknowledged, failed and pending publishes', () => {
    const s = new RunStats();
    s.onPublish(5, 0);
    s.onPublish(5, 1);
    s.onPublish(5, 0);
    const rec = { deviceId: 'd', topic: 't', seq: 1, bytes: 10, samples: 5, publishedAt: 0 };
    s.onRecord({ ...rec, ackedAt: 1, latencyMs: 1 });
    s.onRecord({ ...rec, ackedAt: undefined, latencyMs: undefined, error: 'x' });
    expect([s.sent, s.acked, s.failed, s.pending, s.samplesSent, s.sessionsSent]).toEqual([3, 1, 1, 1, 15, 1]);
  });
});
