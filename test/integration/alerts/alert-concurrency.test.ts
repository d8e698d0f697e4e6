import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { RuleDecision } from '#rules';
import { AlertDecisionService } from '../../../apps/server/src/alerts/alert-decision.service.js';
import { AlertEntity } from '../../../apps/server/src/alerts/alert.entities.js';
import { AlertWriteRepository } from '../../../apps/server/src/alerts/alert-write.repository.js';
import { AlertRepository } from '../../../apps/server/src/alerts/alert.repository.js';
import { RuleDataRepository } from '../../../apps/server/src/alerts/rule-data.repository.js';
import { RuleEvaluationService } from '../../../apps/server/src/alerts/rule-evaluation.service.js';
import { TrendRulesService } from '../../../apps/server/src/alerts/trend-rules.service.js';
import { AuditLogEntity } from '../../../apps/server/src/audit/audit-log.entity.js';
import { AuditLogRepository } from '../../../apps/server/src/audit/audit-log.repository.js';
import { AuditService } from '../../../apps/server/src/audit/audit.service.js';
import { AlertEventsHub, StoredReadingsHub, type AlertEventMessage } from '../../../apps/server/src/events/event-hubs.js';
import { TEST_DATABASE_URL } from '../../support/test-env.js';
import { standaloneDatabase } from '../../support/transaction-runner.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';
import { alertsOf, eventsOf, HOUR, insertReadings, SECOND, samples } from './alert-fixtures.js';

// Creating users (argon2) and apps is slow on a loaded machine: the jest default of 5 s is too short.
jest.setTimeout(30_000);

/** An independent evaluator "process": its own pool (connections), its own hubs and caches. */
async function evaluatorInstance() {
  const db = await standaloneDatabase(TEST_DATABASE_URL, 4);
  const pool = db.pool;
  const alertRows = db.dataSource.getRepository(AlertEntity);
  const published: AlertEventMessage[] = [];
  const hub = new AlertEventsHub();
  hub.subscribe(async (m) => {
    published.push(m);
  });
  const data = new RuleDataRepository(pool);
  const decisions = new AlertDecisionService(
    new AlertRepository(pool, alertRows),
    new AlertWriteRepository(pool, alertRows),
    data,
    new AuditService(new AuditLogRepository(db.dataSource.getRepository(AuditLogEntity))),
    hub,
    db.transactions,
  );
  const evaluator = new RuleEvaluationService(new StoredReadingsHub(), data, decisions, new TrendRulesService(data, decisions));
  return { pool, close: db.close, decisions, evaluator, published };
}

describe('two evaluators raising the same alert at once make one alert', () => {
  let t: TestApp;
  let a: Awaited<ReturnType<typeof evaluatorInstance>>;
  let b: Awaited<ReturnType<typeof evaluatorInstance>>;
  beforeAll(async () => {
    t = await startTestApp({ roles: ['api'] });
    a = await evaluatorInstance();
    b = await evaluatorInstance();
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await t.close();
  });

  it('the same decision applied concurrently by two processes: one row, one occurrence, one raised event', async () => {
    const team = await t.ctx.newCareTeam();
    const patients = await Promise.all(Array.from({ length: 10 }, () => t.ctx.newPatient(team.id)));
    const T = Date.now() - HOUR;
    const decision: RuleDecision = {
      kind: 'raise',
      rule: 'spo2.low',
      severity: 'warning',
      startedAt: T,
      at: T + 300_000,
      value: 85,
      threshold: 88,
      message: 'SpO2 < 88 % for 5 min or more (lowest 85 %)',
      news2Spo2Score: 2,
    };
    await Promise.all(
      patients.flatMap((p) => [a, b].map((inst) => inst.decisions.apply({ patientId: p.id, deviceId: null, profile: 'hypercapnic' }, decision))),
    );
    for (const p of patients) {
      const alerts = await alertsOf(t.pool, p.id);
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({ status: 'open', occurrences: 1 });
      expect(await eventsOf(t.pool, alerts[0]!.id)).toEqual(['raised']);
    }
    const raisedForOurs = [...a.published, ...b.published].filter((m) => patients.some((p) => p.id === m.alert.patientId));
    expect(raisedForOurs.map((m) => m.kind)).toEqual(Array(10).fill('raised'));
  });

  it('two evaluators fed the same batch (round-robin delivery, redelivery) make one alert', async () => {
    const { patient, device } = await t.ctx.newTeamWithPatient();
    const T = Math.floor((Date.now() - 2 * HOUR) / 1000) * 1000;
    const list = samples(T, 61, { spo2: 80 });
    await insertReadings(t.pool, device.deviceId, patient.id, list);
    const batch = { deviceId: device.deviceId, patientId: patient.id, kind: 'oximeter' as const, samples: list, sessions: [] };
    await Promise.all([a.evaluator.evaluate([batch]), b.evaluator.evaluate([batch])]);
    const alerts = await alertsOf(t.pool, patient.id, 'spo2.critical');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.occurrences).toBe(1);
    expect(await eventsOf(t.pool, alerts[0]!.id)).toEqual(['raised']);
  });

  it('two different episodes at once: one alert, two occurrences', async () => {
    const team = await t.ctx.newCareTeam();
    const p = await t.ctx.newPatient(team.id);
    const T = Date.now() - HOUR;
    const d = (startedAt: number): RuleDecision => ({
      kind: 'raise',
      rule: 'pulse.high',
      severity: 'warning',
      startedAt,
      at: startedAt + 300_000,
      value: 130,
      threshold: 120,
      message: 'Pulse > 120 /min',
      news2Spo2Score: null,
    });
    await Promise.all([
      a.decisions.apply({ patientId: p.id, deviceId: null, profile: 'hypercapnic' }, d(T)),
      b.decisions.apply({ patientId: p.id, deviceId: null, profile: 'hypercapnic' }, d(T + 600_000)),
    ]);
    const alerts = await alertsOf(t.pool, p.id);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.occurrences).toBe(2);
    expect((await eventsOf(t.pool, alerts[0]!.id)).sort()).toEqual(['occurrence', 'raised']);
  });
  // Several ingest processes on a round-robin broker (Mosquitto): each sees part of a device's
  // messages, so each dates a run from the first sample it saw (scale-out test: test/integration/scale).
  it('one run of a device seen by two processes from different first samples: one alert, one occurrence', async () => {
    const { patient, device } = await t.ctx.newTeamWithPatient();
    const T = Date.now() - HOUR;
    const target = { patientId: patient.id, deviceId: device.deviceId, profile: 'hypercapnic' as const };
    const raise = (startedAt: number): RuleDecision => ({
      kind: 'raise',
      rule: 'pulse.high',
      severity: 'warning',
      startedAt,
      at: startedAt + 300_000,
      value: 130,
      threshold: 120,
      message: 'Pulse > 120 /min for 5 min or more (highest 130 /min)',
      news2Spo2Score: null,
    });
    await Promise.all([a.decisions.apply(target, raise(T)), b.decisions.apply(target, raise(T + 20 * SECOND))]);
    await b.decisions.apply(target, raise(T + 35 * SECOND)); // and once more, after the first two committed
    const alerts = await alertsOf(t.pool, patient.id);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.occurrences).toBe(1);
    expect(await eventsOf(t.pool, alerts[0]!.id)).toEqual(['raised']);
    // A run that starts after everything the alert holds is a new occurrence, as before.
    await a.decisions.apply(target, raise(T + 900_000));
    expect((await alertsOf(t.pool, patient.id))[0]!.occurrences).toBe(2);
  });

  it('a process that missed the beginning of a run (consumed by another process) does not count it twice', async () => {
    const { patient, device } = await t.ctx.newTeamWithPatient();
    const T = Math.floor((Date.now() - 2 * HOUR) / 1000) * 1000;
    const feed = async (inst: typeof a, list: ReturnType<typeof samples>) => {
      await insertReadings(t.pool, device.deviceId, patient.id, list);
      await inst.evaluator.evaluate([{ deviceId: device.deviceId, patientId: patient.id, kind: 'oximeter', samples: list, sessions: [] }]);
    };
    await feed(b, samples(T - 30 * SECOND, 30, { spo2: 95 })); // b: normal values
    await feed(a, samples(T, 61, { spo2: 80 })); // a: the first minute of the run (raises)
    await feed(b, samples(T + 90 * SECOND, 61, { spo2: 80 })); // b, 91 s later: its own view starts the run here
    const alerts = await alertsOf(t.pool, patient.id, 'spo2.critical');
    expect(alerts).toHaveLength(1);
    expect(await eventsOf(t.pool, alerts[0]!.id)).toEqual(['raised']);
  });

  it('a process behind in the stream reports a worse value of a run another process has cleared: no new alert', async () => {
    const { patient, device } = await t.ctx.newTeamWithPatient();
    const T = Date.now() - HOUR;
    const target = { patientId: patient.id, deviceId: device.deviceId, profile: 'hypercapnic' as const };
    const base = { rule: 'spo2.critical' as const, severity: 'critical' as const, threshold: 83, news2Spo2Score: 3 };
    await a.decisions.apply(target, { ...base, kind: 'raise', startedAt: T, at: T + 60_000, value: 80, message: 'SpO2 ≤ 83 % for 1 min or more (lowest 80 %)' });
    await a.decisions.apply(target, { ...base, kind: 'clear', startedAt: T + 300_000, at: T + 420_000, value: 90, message: 'SpO2 back to ≥ 84 % for 2 min' });
    const stale = await b.decisions.apply(target, {
      ...base,
      kind: 'update',
      startedAt: T + 10 * SECOND,
      at: T + 200_000,
      value: 76,
      message: 'SpO2 ≤ 83 % for 1 min or more (lowest 76 %)',
    });
    expect(stale).toBeNull();
    const alerts = await alertsOf(t.pool, patient.id);
    expect(alerts.map((x) => [x.status, x.resolution])).toEqual([['resolved', 'cleared']]);
  });

  it('a process that sees a device again after a gap rebuilds its windows from what another process stored', async () => {
    const { patient, device } = await t.ctx.newTeamWithPatient();
    const T = Math.floor((Date.now() - 2 * HOUR) / 1000) * 1000;
    const feed = async (inst: typeof a, list: ReturnType<typeof samples>) => {
      await insertReadings(t.pool, device.deviceId, patient.id, list);
      await inst.evaluator.evaluate([{ deviceId: device.deviceId, patientId: patient.id, kind: 'oximeter', samples: list, sessions: [] }]);
    };
    await feed(a, samples(T, 30, { spo2: 80 })); // a: the first 30 s of the run
    await feed(b, samples(T + 30 * SECOND, 170, { spo2: 80 })); // b: the next 170 s (raises, from the stored start)
    await feed(a, samples(T + 200 * SECOND, 61, { spo2: 80 })); // a again, 171 s after its last sample: the same run
    const alerts = await alertsOf(t.pool, patient.id, 'spo2.critical');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.started_at.getTime()).toBe(T);
    expect(await eventsOf(t.pool, alerts[0]!.id)).toEqual(['raised']);
  });
});
