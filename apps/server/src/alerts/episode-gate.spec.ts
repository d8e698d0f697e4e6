import { beforeAll, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { RuleDecision } from '#rules';
import { loadConfig } from '../config/app-config.js';
import type { TransactionRunner } from '../database/transaction.js';
import type { AlertEventsHub, StoredReadingsHub } from '../events/event-hubs.js';
import type { StoredDeviceBatch } from '../events/stored-readings.js';
import type { AlertDecisionService, DecisionTarget } from './alert-decision.service.js';
import { AlertJobsService } from './alert-jobs.service.js';
import type { AlertWriteRepository } from './alert-write.repository.js';
import type { PatientRuleContext, RuleDataRepository } from './rule-data.repository.js';
import { RuleEvaluationService } from './rule-evaluation.service.js';
import { TrendRulesService } from './trend-rules.service.js';

/**
 * The episode gate (docs/alert-rules.md, "Episodes gate the rules"): every rule path takes its
 * patients from RuleDataRepository.patientContexts, which returns only those with an active
 * episode. Here the repository is a fake whose "monitored" set says which ones; the decisions
 * each path hands over are recorded.
 */
const MONITORED = 'p-monitored';
const UNMONITORED = 'p-ended';
const HOUR = 3600_000;

function context(id: string): PatientRuleContext {
  return { id, profile: 'hypercapnic', timezone: 'Europe/Paris', careTeamId: 'team', overrides: {} };
}

function fakes(monitored: ReadonlySet<string>) {
  const applied: { target: DecisionTarget; decision: RuleDecision }[] = [];
  const asked: string[][] = [];
  const data = {
    patientContexts: async (ids: readonly string[]) => {
      asked.push([...ids]);
      return new Map(ids.filter((id) => monitored.has(id)).map((id) => [id, context(id)]));
    },
    patientContext: async (id: string) => (monitored.has(id) ? context(id) : undefined),
    parseOverrides: () => ({}),
    recentSamples: async () => [],
    activePointRules: async () => new Set(),
    sessionSpan: async () => ({ first: Date.now() - 10 * 24 * HOUR, latest: Date.now() - 24 * HOUR }),
    sessions: async () => [],
    dailyOximetry: async () => [],
    silentAlertsHeardAgain: async () => [UNMONITORED, MONITORED].map((patientId) => ({ patientId, deviceId: `${patientId}-ox` })),
    silentDevices: async (now: Date) => [UNMONITORED, MONITORED].map((patientId) => ({ patientId, deviceId: `${patientId}-ox`, heard: new Date(now.getTime() - 30 * HOUR) })),
    patientsWithDevice: async () => [UNMONITORED, MONITORED],
  } as unknown as RuleDataRepository;
  const decisions = {
    apply: async (target: DecisionTarget, decision: RuleDecision) => {
      applied.push({ target, decision });
      return { kind: 'raised' };
    },
    transition: async (_tx: unknown, id: string) => ({ physicianIds: [], alertId: id }),
  } as unknown as AlertDecisionService;
  const writes = {
    dueForEscalation: async () => [UNMONITORED, MONITORED].map((patientId) => ({ id: `${patientId}-alert`, patientId })),
    markEscalated: async () => true,
  } as unknown as AlertWriteRepository;
  const transactions = { run: async (fn: (tx: unknown) => Promise<unknown>) => fn({}) } as unknown as TransactionRunner;
  const hub = { publish: async () => undefined, subscribe: () => () => undefined } as unknown as AlertEventsHub & StoredReadingsHub;
  const trends = new TrendRulesService(data, decisions);
  const evaluation = new RuleEvaluationService(hub, data, decisions, trends);
  const config = loadConfig({ JWT_SECRET: 'unit-secret-0123456789abcdef0123456789' });
  const jobs = new AlertJobsService(config, writes, decisions, data, trends, hub, transactions);
  return { applied, asked, evaluation, jobs, trends };
}

function desaturation(patientId: string, start: number): StoredDeviceBatch {
  const samples = Array.from({ length: 90 }, (_, i) => ({ at: start + i * 1000, values: { spo2: 80, pulseRate: 100 }, signalOk: true }));
  return { deviceId: `${patientId}-ox`, patientId, kind: 'oximeter', samples, sessions: [] };
}

describe('the episode gate', () => {
  beforeAll(() => Logger.overrideLogger(false));
  it('point rules at ingestion: the monitored patient raises, the other decides nothing and keeps no windows', async () => {
    const { applied, asked, evaluation } = fakes(new Set([MONITORED]));
    const now = Date.now();
    await evaluation.evaluate([desaturation(UNMONITORED, now - HOUR), desaturation(MONITORED, now - HOUR)], now);
    expect(asked).toEqual([[UNMONITORED, MONITORED]]); // one read of the gate per batch
    expect(applied.map((a) => a.target.patientId)).toContain(MONITORED);
    expect(applied.some((a) => a.decision.rule === 'spo2.critical' && a.target.patientId === MONITORED)).toBe(true);
    expect(applied.filter((a) => a.target.patientId === UNMONITORED)).toEqual([]);
    expect(evaluation.cachedDevices).toBe(1);
  });

  it('a patient whose episode ends mid-run: its windows are dropped, so a new episode rebuilds them from the database', async () => {
    const monitored = new Set([MONITORED]);
    const { evaluation } = fakes(monitored);
    const now = Date.now();
    await evaluation.evaluate([desaturation(MONITORED, now - HOUR)], now);
    expect(evaluation.cachedDevices).toBe(1);
    monitored.delete(MONITORED);
    await evaluation.evaluate([desaturation(MONITORED, now - HOUR + 90_000)], now);
    expect(evaluation.cachedDevices).toBe(0);
  });

  it('device.silent (raise and clear) and escalation: only for the monitored patient', async () => {
    const { applied, jobs } = fakes(new Set([MONITORED]));
    const now = new Date();
    await jobs.checkSilentDevices(now);
    expect(applied.map((a) => `${a.target.patientId} ${a.decision.kind} ${a.decision.rule}`).sort()).toEqual([
      `${MONITORED} clear device.silent`,
      `${MONITORED} raise device.silent`,
    ]);
    expect(await jobs.escalateDue(now)).toEqual([`${MONITORED}-alert`]);
  });

  it('night rules (on arrival and nightly) and oximetry.baseline: nothing evaluated without an active episode; the monitored patient does get them', async () => {
    const { applied, trends } = fakes(new Set([MONITORED]));
    const now = Date.now();
    expect(await trends.onSessions(UNMONITORED, [now - 24 * HOUR])).toBe(0);
    expect(await trends.nightlyForPatient(UNMONITORED, now)).toBe(0);
    expect(await trends.baselineForPatientId(UNMONITORED, '2026-12-01')).toBe(0);
    expect(applied).toEqual([]);
    // The control: ten days since the first session and none stored since (0 h nights) raises niv.adherence.
    expect(await trends.nightlyForPatient(MONITORED, now)).toBeGreaterThan(0);
    expect(applied.map((a) => `${a.target.patientId} ${a.decision.kind} ${a.decision.rule}`)).toContain(`${MONITORED} raise niv.adherence`);
  });
});
