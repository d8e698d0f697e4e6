import { describe, expect, it } from '@jest/globals';
import type { DayAggregates } from './therapy-data.repository.js';
import { dayIndicators } from './therapy-days.service.js';

const EMPTY: DayAggregates = {
  respRateMean: null,
  respRateSamples: 0,
  leakMedian: null,
  leakMean: null,
  spo2Mean: null,
  o2FlowMean: null,
  o2FlowSamples: 0,
  o2FlowMinutes: 0,
  ventilatorSessions: 0,
  ventilationHours: null,
  sessionRespRate: null,
  sessionLeakMedian: null,
  sessionLeakMean: null,
  oxygenSessions: 0,
  o2SessionHours: null,
  sessionO2FlowMean: null,
};
const NONE = { ventilator: false, concentrator: false };

describe('dayIndicators', () => {
  it('a day with no data: nulls without the device kinds, 0 h with them', () => {
    expect(dayIndicators('2026-11-20', false, EMPTY, NONE)).toEqual({
      day: '2026-11-20',
      dataReceived: false,
      ventilationHours: null,
      respRateMean: null,
      leakMedian: null,
      leakMean: null,
      o2Hours: null,
      o2FlowMean: null,
      spo2Mean: null,
    });
    expect(dayIndicators('2026-11-20', false, EMPTY, { ventilator: true, concentrator: true })).toMatchObject({ ventilationHours: 0, o2Hours: 0, leakMedian: null });
  });

  it.each([
    ['session leak values win over samples', { leakMedian: 30, leakMean: 35, sessionLeakMedian: 12, sessionLeakMean: 18 }, { leakMedian: 12, leakMean: 18 }],
    ['samples when sessions carry no leak values', { leakMedian: 30, leakMean: 35 }, { leakMedian: 30, leakMean: 35 }],
    ['respiratory rate from samples first', { respRateMean: 18, respRateSamples: 3, sessionRespRate: 25 }, { respRateMean: 18 }],
    ['respiratory rate from the sessions without samples', { sessionRespRate: 19.04 }, { respRateMean: 19 }],
    ['O2 from sessions first', { oxygenSessions: 1, o2SessionHours: 14.5, sessionO2FlowMean: 2, o2FlowSamples: 10, o2FlowMinutes: 10, o2FlowMean: 3 }, { o2Hours: 14.5, o2FlowMean: 2 }],
    ['O2 from flow samples: minutes above 0', { o2FlowSamples: 120, o2FlowMinutes: 90, o2FlowMean: 1.5 }, { o2Hours: 1.5, o2FlowMean: 1.5 }],
    ['ventilation hours rounded to 2 digits', { ventilatorSessions: 1, ventilationHours: 7.33333 }, { ventilationHours: 7.33 }],
  ] as [string, Partial<DayAggregates>, Record<string, number>][])('%s', (_name, aggregates, expected) => {
    expect(dayIndicators('2026-11-20', true, { ...EMPTY, ...aggregates }, NONE)).toMatchObject(expected);
  });
});
