import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { InflightBudget } from './inflight-budget.js';
import { IngestMetrics } from './ingest.metrics.js';

/** A budget with real gauges, and what the gauges say. */
function setup(maxBytes: number) {
  const registry = new Registry();
  const metrics = new IngestMetrics(registry);
  const resumed: string[] = [];
  const budget = new InflightBudget<string>(maxBytes, metrics, (source) => resumed.push(source));
  const gauge = async (name: string) => (await registry.getSingleMetricAsString(name)).split('\n').filter((l) => l.startsWith(`${name} `)).map((l) => Number(l.split(' ')[1]))[0];
  return { budget, resumed, gauge };
}

/** `next` callbacks that record when they were called. */
function nexts() {
  const called: string[] = [];
  return { called, next: (source: string) => () => void called.push(source) };
}

describe('InflightBudget: admission against the in-flight byte budget', () => {
  it.each([
    ['below the budget', [400], false],
    ['exactly the budget', [600, 400], false],
    ['one byte over the budget', [600, 401], true],
    ['far over the budget', [5000], true],
  ])('%s: the source is %s held', (_name, weights, held) => {
    const { budget } = setup(1000);
    const { called, next } = nexts();
    for (const w of weights) budget.add(w);
    budget.admit('c1', next('c1'));
    expect(called).toEqual(held ? [] : ['c1']);
    expect(budget.isHeld('c1')).toBe(held);
  });

  it('holds every source that takes a message while over budget, and resumes them once the budget frees', async () => {
    const { budget, resumed, gauge } = setup(1000);
    const { called, next } = nexts();
    budget.add(900);
    budget.admit('c1', next('c1'));
    budget.add(200); // 1100: over
    budget.admit('c2', next('c2'));
    budget.add(300); // 1400
    budget.admit('c3', next('c3'));
    expect(called).toEqual(['c1']);
    expect(budget.heldCount).toBe(2);
    expect(await gauge('tm_ingest_paused_connections')).toBe(2);
    expect(await gauge('tm_ingest_inflight_bytes')).toBe(1400);
    expect(await gauge('tm_ingest_inflight_messages')).toBe(3);

    budget.release(300, 1); // 1100: still over, nobody resumes
    expect(called).toEqual(['c1']);
    budget.release(100, 1); // 1000: at the budget: both resume, oldest first
    expect(called).toEqual(['c1', 'c2', 'c3']);
    expect(resumed).toEqual(['c2', 'c3']);
    expect(budget.heldCount).toBe(0);
    expect(await gauge('tm_ingest_paused_connections')).toBe(0);
    expect(await gauge('tm_ingest_inflight_bytes')).toBe(1000);
    expect(await gauge('tm_ingest_inflight_messages')).toBe(1);
    expect(await gauge('tm_ingest_inflight_bytes_max')).toBe(1400);
  });

  it('stops resuming as soon as a resumed source uses the budget up again (its next message arrives synchronously)', () => {
    const { budget } = setup(1000);
    const order: string[] = [];
    budget.add(1500);
    budget.admit('c1', () => {
      order.push('c1');
      // mqtt.js may parse the next packet of c1 inside the callback.
      budget.add(800);
      budget.admit('c1', () => order.push('c1 again'));
    });
    budget.admit('c2', () => order.push('c2'));
    budget.release(1500, 1); // 0 → c1 resumes, takes 800; 800 ≤ 1000 so c1 reads on, then c2
    expect(order).toEqual(['c1', 'c1 again', 'c2']);

    const second = setup(1000).budget;
    const order2: string[] = [];
    second.add(1500);
    second.admit('c1', () => {
      order2.push('c1');
      second.add(1200); // over again: c1 is held again, c2 must stay held
      second.admit('c1', () => order2.push('c1 again'));
    });
    second.admit('c2', () => order2.push('c2'));
    second.release(1500, 1);
    expect(order2).toEqual(['c1']);
    expect(second.isHeld('c1') && second.isHeld('c2')).toBe(true);
    second.release(1200, 1);
    expect(order2).toEqual(['c1', 'c2', 'c1 again']);
  });

  it('drops the held callback of a closed source and never calls it', async () => {
    const { budget, gauge } = setup(1000);
    const { called, next } = nexts();
    budget.add(2000);
    budget.admit('c1', next('c1'));
    budget.admit('c2', next('c2'));
    budget.drop('c1');
    budget.drop('c1'); // twice: no effect
    expect(await gauge('tm_ingest_paused_connections')).toBe(1);
    budget.release(2000, 1);
    expect(called).toEqual(['c2']);
    expect(await gauge('tm_ingest_paused_connections')).toBe(0);
  });

  it('once paused (shutdown) holds every source, even with budget to spare, and never resumes them', () => {
    const { budget } = setup(1000);
    const { called, next } = nexts();
    budget.add(2000);
    budget.admit('c1', next('c1'));
    budget.pause();
    budget.release(2000, 1);
    budget.add(10);
    budget.admit('c2', next('c2'));
    budget.release(10, 1);
    expect(called).toEqual([]);
    expect(budget.heldCount).toBe(2);
  });

  // A simulation of K connections delivering messages as mqtt.js does (the next packet is read
  // when the callback is called, at once or on a later tick) while commits release batches of
  // them at random: the held bytes never exceed the budget plus one message per connection, and
  // every message is eventually read.
  it.each([
    [1, 1000, 1],
    [4, 1000, 2],
    [4, 50_000, 3],
    [16, 20_000, 4],
  ])('with %i connection(s) and a budget of %i bytes (seed %i): bounded and live', async (connections, maxBytes, seed) => {
    let state = seed;
    const random = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
    const { budget } = setup(maxBytes);
    const maxWeight = 5000;
    const perConnection = 200;
    const remaining = Array.from({ length: connections }, () => perConnection);
    const unreleased: number[] = [];
    let worst = 0;
    let read = 0;

    const readNext = (c: number): void => {
      if (remaining[c] === 0) return;
      remaining[c]!--;
      const weight = 64 + Math.floor(random() * (maxWeight - 64));
      budget.add(weight);
      read++;
      unreleased.push(weight);
      worst = Math.max(worst, budget.bytes);
      const next = () => (random() < 0.5 ? readNext(c) : void Promise.resolve().then(() => readNext(c)));
      budget.admit(`c${c}`, next);
    };
    for (let c = 0; c < connections; c++) readNext(c);
    for (let tick = 0; tick < 100_000 && (read < connections * perConnection || unreleased.length > 0); tick++) {
      await Promise.resolve();
      if (unreleased.length > 0 && random() < 0.3) {
        const n = 1 + Math.floor(random() * Math.min(unreleased.length, 20));
        const batch = unreleased.splice(0, n);
        budget.release(batch.reduce((a, b) => a + b, 0), batch.length);
      }
    }
    expect(read).toBe(connections * perConnection);
    expect(unreleased).toEqual([]);
    expect(budget.bytes).toBe(0);
    expect(budget.messages).toBe(0);
    expect(budget.heldCount).toBe(0);
    expect(worst).toBeGreaterThan(maxBytes); // the budget was actually used up
    expect(worst).toBeLessThanOrEqual(maxBytes + connections * maxWeight);
    expect(budget.peakBytes).toBe(worst);
  });
});
