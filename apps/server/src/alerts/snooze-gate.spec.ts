import { beforeAll, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { RuleDecision } from '#rules';
import type { AuditService } from '../audit/audit.service.js';
import type { TransactionRunner } from '../database/transaction.js';
import type { AlertEventsHub, StoredReadingsHub } from '../events/event-hubs.js';
import { AlertDecisionService, type DecisionTarget } from './alert-decision.service.js';
import type { AlertRepository } from './alert.repository.js';
import type { AlertWriteRepository } from './alert-write.repository.js';
import type { RuleDataRepository } from './rule-data.repository.js';
import { RuleEvaluationService } from './rule-evaluation.service.js';
import type { TrendRulesService } from './trend-rules.service.js';

/**
 * The snooze gate (docs/alert-rules.md, "Snoozes"): AlertDecisionService.apply, which every rule
 * path raises through, asks RuleDataRepository.snoozed before a raise or an update and does
 * nothing for a snoozed rule; clears still apply. The repositories are fakes.
 */
const PATIENT = 'p-1';
const target: DecisionTarget = { patientId: PATIENT, deviceId: 'OX-1', profile: 'hypercapnic' };

function decision(kind: RuleDecision['kind'], rule: RuleDecision['rule']): RuleDecision {
  return { kind, rule, severity: 'warning', startedAt: 0, at: 1000, value: 85, threshold: 88, message: 'm' } as RuleDecision;
}

function fakes(snoozed: ReadonlySet<string>) {
  const transactions: string[] = [];
  const data = {
    snoozed: async (patientId: string, rule: string) => snoozed.has(`${patientId} ${rule}`),
    patientContexts: async (ids: readonly string[]) => new Map(ids.map((id) => [id, { id, profile: 'hypercapnic', timezone: 'Europe/Paris', careTeamId: 't', overrides: {} }])),
    recentSamples: async () => [],
    activePointRules: async () => new Set(),
  } as unknown as RuleDataRepository;
  const writes = { hasActive: async () => true } as unknown as AlertWriteRepository;
  const tx = {
    run: async (_work: unknown) => {
      transactions.push('run');
      return null;
    },
  } as unknown as TransactionRunner;
  const hub = { publish: async () => undefined, subscribe: () => () => undefined } as unknown as AlertEventsHub & StoredReadingsHub;
  const decisions = new AlertDecisionService({} as AlertRepository, writes, data, {} as AuditService, hub, tx);
  return { decisions, transactions, data, hub };
}

describe('the snooze gate', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('a raise or an update of a snoozed rule writes nothing and reports the suppression; a clear still applies', async () => {
    const { decisions, transactions } = fakes(new Set([`${PATIENT} spo2.low`]));
    let suppressed = 0;
    const onSnoozed = () => suppressed++;
    expect(await decisions.apply(target, decision('raise', 'spo2.low'), onSnoozed)).toBeNull();
    expect(await decisions.apply(target, decision('update', 'spo2.low'), onSnoozed)).toBeNull();
    expect([suppressed, transactions.length]).toEqual([2, 0]);
    await decisions.apply(target, decision('clear', 'spo2.low'), onSnoozed);
    expect([suppressed, transactions.length]).toEqual([2, 1]);
  });

  it('another rule, or the same rule of another patient, is not gated', async () => {
    const { decisions, transactions } = fakes(new Set([`${PATIENT} spo2.low`]));
    let suppressed = 0;
    await decisions.apply(target, decision('raise', 'pulse.high'), () => suppressed++);
    await decisions.apply({ ...target, patientId: 'p-2' }, decision('raise', 'spo2.low'), () => suppressed++);
    expect([suppressed, transactions.length]).toEqual([0, 2]);
  });

  it('the live engine drops the windows of a device whose raise was suppressed, and keeps them otherwise', async () => {
    const batch = (patientId: string) => ({
      deviceId: `${patientId}-ox`,
      patientId,
      kind: 'oximeter' as const,
      samples: Array.from({ length: 400 }, (_, i) => ({ at: 1_000_000 + i * 1000, values: { spo2: 85, pulseRate: 80 }, signalOk: true })),
      sessions: [],
    });
    const { decisions, data, hub } = fakes(new Set([`${PATIENT} spo2.low`]));
    const evaluation = new RuleEvaluationService(hub, data, decisions, {} as TrendRulesService);
    await evaluation.evaluate([batch(PATIENT)], 2_000_000);
    expect(evaluation.cachedDevices).toBe(0);
    await evaluation.evaluate([batch('p-2')], 2_000_000);
    expect(evaluation.cachedDevices).toBe(1);
  });
});
