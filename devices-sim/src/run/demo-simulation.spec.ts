import { describe, expect, it } from '@jest/globals';
import { parseReadingsPayload, type ParsedSample } from '#protocol';
import { generateDeviceStream } from '../generators/device-stream.js';
import { DAY_MS } from '../generators/night-plan.js';
import { trippedRules } from '../scenarios/rule-checks.js';
import { SCENARIOS, type ScenarioId } from '../scenarios/scenario-catalogue.js';
import { demoEventPlacement, demoTuning } from './demo-simulation.js';

const NOW = Date.parse('2026-11-23T10:17:42.000Z');
const ALERT_WITHIN = 30_000;

/** What the backend has received by `by` (messages sent by then), through its parser. */
function receivedBy(scenario: ScenarioId, by: number): ParsedSample[] {
  const placement = demoEventPlacement(scenario, NOW, ALERT_WITHIN);
  const out: ParsedSample[] = [];
  for (const e of generateDeviceStream({ kind: 'oximeter', scenario, seed: 9, from: NOW - DAY_MS, liveFrom: NOW, to: by + 10_000, ...placement, ...demoTuning() })) {
    if (e.type !== 'publish' || e.sendAt > by) continue;
    const r = parseReadingsPayload(JSON.stringify(e.payload), { nowMs: by, backfillHorizonMs: 30 * DAY_MS, futureSkewMs: 300_000 });
    if (r.ok) out.push(...r.samples);
  }
  return out;
}

describe('demo placement: acute alerts come within the first minute', () => {
  it.each(['critical-drop', 'nocturnal-desaturation', 'sustained-hypoxaemia', 'over-oxygenation', 'tachycardia', 'bradycardia', 'offline-backlog'] as const)(
    '%s: its rule is met by what was received 50 s after start',
    (scenario) => {
      const by = NOW + 50_000;
      const tripped = trippedRules({ profile: SCENARIOS[scenario].profile, samples: receivedBy(scenario, by), sessions: [], now: by });
      expect([...tripped]).toEqual(expect.arrayContaining([...SCENARIOS[scenario].expectedRules]));
    },
  );

  it('the offline device is still offline 30 s after start (its backlog comes at 45 s)', () => {
    const tripped = trippedRules({ profile: 'hypercapnic', samples: receivedBy('offline-backlog', NOW + 30_000), sessions: [], now: NOW + 30_000 });
    expect(tripped.has('spo2.low')).toBe(false);
  });
});
