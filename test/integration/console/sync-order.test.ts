import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { PoolClient } from 'pg';
import { AlertRepository } from '../../../apps/server/src/alerts/alert.repository.js';
import { ConsoleRepository } from '../../../apps/server/src/console/console.repository.js';
import { raiseAlert } from '../../support/console-support.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

jest.setTimeout(30_000);

const settledWithin = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);

/**
 * alerts.sync {afterId} is only sound if event ids become visible in id order: an event drawn
 * before a higher one but committed after it would be behind the cursor of a console that saw the
 * higher one (docs/architecture-console.md).
 */
describe('alert event ids become visible in id order', () => {
  let t: TestApp;
  let alerts: AlertRepository;
  let consoleRepo: ConsoleRepository;
  beforeAll(async () => {
    t = await startTestApp({ roles: ['api'] });
    alerts = t.app.get(AlertRepository);
    consoleRepo = t.app.get(ConsoleRepository);
  });
  afterAll(async () => {
    await t.close();
  });

  it('a transition waits for an earlier uncommitted one before drawing its id, so a resumed console sees the resolution', async () => {
    const team = await t.ctx.newCareTeam();
    const patientA = await t.ctx.newPatient(team.id);
    const patientB = await t.ctx.newPatient(team.id);
    const a = await raiseAlert(t, patientA.id, { publish: false });
    const b = await raiseAlert(t, patientB.id, { publish: false });
    const row = (id: string) => alerts.findById(id);
    const rowA = (await row(a.alert.id))!;
    const rowB = (await row(b.alert.id))!;

    const first: PoolClient = await t.pool.connect();
    const second: PoolClient = await t.pool.connect();
    try {
      // Transaction 1 resolves A and draws its event id, but has not committed yet.
      await first.query('BEGIN');
      await first.query(`UPDATE alerts SET status = 'resolved', resolved_at = now(), resolution = 'cleared' WHERE id = $1`, [rowA.id]);
      const resolvedEventId = await alerts.appendEvent(first, rowA, 'resolved', null, 'cleared');

      // Transaction 2 (another alert) must not get an id, let alone commit one, meanwhile.
      await second.query('BEGIN');
      const secondEvent = alerts.appendEvent(second, rowB, 'acknowledged', null, null);
      expect(await settledWithin(secondEvent, 500)).toBe(false);

      // A console syncing now gets a cursor below the uncommitted event.
      const during = await consoleRepo.sync({ careTeamIds: [team.id] }, undefined);
      expect(BigInt(during.lastEventId!)).toBeLessThan(BigInt(resolvedEventId));

      await first.query('COMMIT');
      const laterEventId = await secondEvent;
      await second.query('COMMIT');
      expect(BigInt(laterEventId)).toBeGreaterThan(BigInt(resolvedEventId));

      // Resuming from that cursor returns A's resolution (not only B's later event).
      const resumed = await consoleRepo.sync({ careTeamIds: [team.id] }, during.lastEventId!);
      const resolution = resumed.alerts.find((x) => x.id === rowA.id);
      expect(resolution).toMatchObject({ status: 'resolved', eventId: resolvedEventId, eventKind: 'resolved' });
      expect(resumed.alerts.map((x) => x.eventId)).toEqual(expect.arrayContaining([resolvedEventId, laterEventId]));
    } finally {
      await first.query('ROLLBACK').catch(() => undefined);
      await second.query('ROLLBACK').catch(() => undefined);
      first.release();
      second.release();
    }
  });
});
