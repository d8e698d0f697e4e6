import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { AlertView } from '#domain';
import { AlertRelayListener } from '../../../apps/server/src/console/alert-relay.listener.js';
import { connectConsole, raiseAlert, type ConsoleClient } from '../../support/console-support.js';
import { eventually, startTestApp, type TestApp } from '../../support/test-app.js';
import { TEST_REDIS_URL } from '../../support/test-env.js';

// The project's testTimeout is not applied by Jest in multi-project mode; state it here.
jest.setTimeout(30000);

/**
 * Several processes: two gateways (ROLES=api) fanning out through the socket.io Redis adapter,
 * and one process without a gateway (ROLES=ingest) whose committed alert events reach the
 * consoles through the PostgreSQL NOTIFY relay.
 */
describe('console across processes', () => {
  let gateway1: TestApp;
  let gateway2: TestApp;
  let ingestOnly: TestApp;
  const clients: ConsoleClient[] = [];
  const open = async (app: TestApp, token: string) => {
    const c = await connectConsole(app.url, token);
    clients.push(c);
    return c;
  };
  const countOf = (c: ConsoleClient, alertId: string) => c.received.filter((e) => e.alert.id === alertId).length;

  beforeAll(async () => {
    // A prefix of our own: other runs using the same Redis never see these channels.
    const env = { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: `tm-test-${randomUUID().slice(0, 8)}` };
    gateway1 = await startTestApp({ roles: ['api'], env });
    gateway2 = await startTestApp({ roles: ['api'], env });
    ingestOnly = await startTestApp({ roles: ['ingest'], env });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all([gateway1?.close(), gateway2?.close(), ingestOnly?.close()]);
  });

  it('delivers an alert raised in process 1 to a console connected to process 2, once', async () => {
    const { nurse, patient, team } = await gateway1.ctx.newTeamWithPatient();
    const colleague = await gateway1.ctx.newUser('nurse', [team.id]);
    const on2 = await open(gateway2, nurse.token);
    const on1 = await open(gateway1, colleague.token);
    const alert = await raiseAlert(gateway1, patient.id);
    await eventually(async () => countOf(on2, alert.alert.id) === 1 && countOf(on1, alert.alert.id) === 1, 10000, 20);
    // Then a second event: had the first been emitted twice, the copy would have come before it.
    const marker = await raiseAlert(gateway1, patient.id, { rule: 'pulse.high', severity: 'warning' });
    await eventually(async () => countOf(on2, marker.alert.id) === 1 && countOf(on1, marker.alert.id) === 1, 10000, 20);
    expect(countOf(on2, alert.alert.id)).toBe(1);
    expect(countOf(on1, alert.alert.id)).toBe(1);
    expect(on2.received[0]!.alert).toMatchObject({ id: alert.alert.id, eventId: alert.eventId, eventKind: 'raised' });
  });

  it('broadcasts an acknowledgement made on process 2 to the team console on process 1', async () => {
    const { nurse, patient, team } = await gateway1.ctx.newTeamWithPatient();
    const colleague = await gateway1.ctx.newUser('nurse', [team.id]);
    const on1 = await open(gateway1, nurse.token);
    const on2 = await open(gateway2, colleague.token);
    const alert = await raiseAlert(gateway1, patient.id);
    await eventually(async () => countOf(on2, alert.alert.id) === 1, 10000, 20);
    const answer = await on2.request<AlertView>('alert.ack', { id: alert.alert.id, note: 'on my way' });
    expect(answer.status).toBe('acknowledged');
    const update = await eventually(async () => on1.received.find((e) => e.event === 'alert.updated' && e.alert.id === alert.alert.id), 10000, 20);
    expect(update.alert).toMatchObject({ status: 'acknowledged', acknowledgedBy: colleague.id, eventKind: 'acknowledged' });
  });

  it('relays an alert raised in a process without a gateway to the consoles of every gateway, once each', async () => {
    const { nurse, patient, team } = await gateway1.ctx.newTeamWithPatient();
    const colleague = await gateway1.ctx.newUser('nurse', [team.id]);
    const other = await gateway1.ctx.newTeamWithPatient();
    const on1 = await open(gateway1, nurse.token);
    const on2 = await open(gateway2, colleague.token);
    const outsider = await open(gateway2, other.nurse.token);
    const alert = await raiseAlert(ingestOnly, patient.id);
    await eventually(async () => countOf(on1, alert.alert.id) === 1 && countOf(on2, alert.alert.id) === 1, 10000, 20);
    const marker = await raiseAlert(ingestOnly, patient.id, { rule: 'spo2.low', severity: 'warning' });
    const otherMarker = await raiseAlert(ingestOnly, other.patient.id);
    await eventually(async () => countOf(on1, marker.alert.id) === 1 && countOf(on2, marker.alert.id) === 1, 10000, 20);
    await eventually(async () => countOf(outsider, otherMarker.alert.id) === 1, 10000, 20);
    expect(countOf(on1, alert.alert.id)).toBe(1);
    expect(countOf(on2, alert.alert.id)).toBe(1);
    expect(outsider.received.map((e) => e.alert.id)).toEqual([otherMarker.alert.id]);
    expect(on1.received.find((e) => e.alert.id === alert.alert.id)!.alert).toEqual({ ...alert.alert, eventId: alert.eventId, eventKind: 'raised' });
  });

  it('after losing its relay connection, a gateway asks its consoles to re-sync and relays again', async () => {
    const { nurse, patient } = await gateway1.ctx.newTeamWithPatient();
    const c = await open(gateway1, nurse.token);
    let resyncs = 0;
    c.socket.on('alerts.resync', () => resyncs++);
    const listener = gateway1.app.get(AlertRelayListener) as unknown as { client?: { processID?: number } };
    const pid = listener.client?.processID;
    expect(pid).toBeGreaterThan(0);
    await gateway1.pool.query(`SELECT pg_terminate_backend($1)`, [pid]);
    await eventually(async () => resyncs === 1, 15000, 50);
    // What was committed meanwhile is in the database for the re-sync; new events are relayed again.
    const alert = await raiseAlert(ingestOnly, patient.id);
    await eventually(async () => countOf(c, alert.alert.id) === 1, 10000, 20);
  });
});
