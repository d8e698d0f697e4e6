import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { JwtService } from '@nestjs/jwt';
import type { Namespace } from 'socket.io';
import { io } from 'socket.io-client';
import type { AlertView } from '#domain';
import type { ConsoleAlert, SyncResult } from '../../../apps/server/src/console/console-events.js';
import { ConsoleGateway } from '../../../apps/server/src/console/console.gateway.js';
import { ConsoleRepository } from '../../../apps/server/src/console/console.repository.js';
import { connectConsole, raiseAlert, refusal, type ConsoleClient } from '../../support/console-support.js';
import { eventually, startTestApp, type TestApp } from '../../support/test-app.js';
import { TEST_JWT_SECRET } from '../../support/test-env.js';

type ErrorAnswer = { error: { code: string; message: string } };

// The project's testTimeout is not applied by Jest in multi-project mode; state it here.
jest.setTimeout(30000);

describe('console gateway (socket.io /console)', () => {
  let t: TestApp;
  const clients: ConsoleClient[] = [];
  const open = async (token: string | undefined) => {
    const c = await connectConsole(t.url, token);
    clients.push(c);
    return c;
  };
  const waitFor = (c: ConsoleClient, predicate: (e: { event: string; alert: ConsoleAlert }) => boolean) =>
    eventually(async () => c.received.find(predicate), 10000, 20);

  beforeAll(async () => {
    t = await startTestApp({ roles: ['api'] });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await t.close();
  });

  describe('handshake', () => {
    it('refuses a missing, malformed or badly signed token with connect_error and no data', async () => {
      expect(await refusal(t.url, undefined)).toEqual({ message: 'missing bearer token', code: 'UNAUTHENTICATED' });
      expect(await refusal(t.url, 'not-a-jwt')).toEqual({ message: 'invalid access token', code: 'UNAUTHENTICATED' });
      const forged = await new JwtService({ secret: 'another-secret-0123456789abcdef0123456789' }).signAsync(
        { sub: '00000000-0000-0000-0000-000000000000', role: 'nurse' },
        { issuer: 'telemonitoring' },
      );
      expect(await refusal(t.url, forged)).toEqual({ message: 'invalid access token', code: 'UNAUTHENTICATED' });
    });

    it('refuses an expired token, and that socket receives nothing of the team', async () => {
      const { nurse, patient } = await t.ctx.newTeamWithPatient();
      const expired = await new JwtService({ secret: TEST_JWT_SECRET }).signAsync(
        { sub: nurse.id, role: 'nurse', exp: Math.floor(Date.now() / 1000) - 60 },
        { issuer: 'telemonitoring' },
      );
      // A raw client that keeps listening after the refusal.
      const refused = io(`${t.url}/console`, { auth: { token: expired }, transports: ['websocket'], reconnection: false, forceNew: true });
      const leaked: unknown[] = [];
      refused.onAny((event, ...args) => leaked.push([event, args]));
      const err = await new Promise<Error & { data?: { code: string } }>((resolve) => refused.once('connect_error', resolve));
      expect(err.data?.code).toBe('TOKEN_EXPIRED');
      // A valid console of the same team gets the alert; the refused one was never in the room.
      const valid = await open(nurse.token);
      const raised = await raiseAlert(t, patient.id);
      await waitFor(valid, (e) => e.alert.id === raised.alert.id);
      expect(leaked).toEqual([]);
      expect(refused.connected).toBe(false);
      refused.close();
    });

    it('refuses the token of a deactivated user', async () => {
      const nurse = await t.ctx.newUser('nurse');
      await t.pool.query(`UPDATE users SET active = false WHERE id = $1`, [nurse.id]);
      expect((await refusal(t.url, nurse.token)).code).toBe('UNAUTHENTICATED');
    });
  });

  describe('delivery', () => {
    it('emits alert.raised to the team only: a nurse of team B receives nothing of team A', async () => {
      const a = await t.ctx.newTeamWithPatient();
      const b = await t.ctx.newTeamWithPatient();
      const nurseA = await open(a.nurse.token);
      const nurseB = await open(b.nurse.token);
      const alertA = await raiseAlert(t, a.patient.id);
      const gotA = await waitFor(nurseA, (e) => e.alert.id === alertA.alert.id);
      expect(gotA.event).toBe('alert.raised');
      // The payload is the REST alert plus eventId/eventKind, not wrapped.
      expect(gotA.alert).toEqual({ ...alertA.alert, eventId: alertA.eventId, eventKind: 'raised' });
      // Socket order is preserved: once B has its own later alert, A's would have come before it.
      const alertB = await raiseAlert(t, b.patient.id);
      await waitFor(nurseB, (e) => e.alert.id === alertB.alert.id);
      expect(nurseB.received.map((e) => e.alert.patientId)).toEqual([b.patient.id]);
      expect(nurseA.received.map((e) => e.alert.patientId)).toEqual([a.patient.id]);
      // Nor can B read it through sync, or act on it.
      const sync = await nurseB.request<SyncResult>('alerts.sync', {});
      expect(sync.alerts.map((x) => x.patientId)).toEqual([b.patient.id]);
      const ack = await nurseB.request<ErrorAnswer>('alert.ack', { id: alertA.alert.id });
      expect(ack.error.code).toBe('NOT_FOUND');
    });

    it('sends escalations to the physicians named on the event, even outside their teams', async () => {
      const { patient } = await t.ctx.newTeamWithPatient();
      const outsider = await t.ctx.newUser('physician', []);
      const nurseOutsider = await t.ctx.newUser('nurse', []);
      const physician = await open(outsider.token);
      const nurse = await open(nurseOutsider.token);
      const alert = await raiseAlert(t, patient.id, { physicianIds: [outsider.id] });
      await waitFor(physician, (e) => e.alert.id === alert.alert.id);
      // The nurse without the team has no room: a later alert she may see proves nothing came before.
      const own = await t.ctx.newCareTeam();
      await t.pool.query(`INSERT INTO user_care_teams (user_id, care_team_id) VALUES ($1, $2)`, [nurseOutsider.id, own.id]);
      await nurse.request('alerts.sync'); // re-reads her memberships and joins the new team room
      const ownPatient = await t.ctx.newPatient(own.id);
      const second = await raiseAlert(t, ownPatient.id);
      await waitFor(nurse, (e) => e.alert.id === second.alert.id);
      expect(nurse.received.map((e) => e.alert.id)).toEqual([second.alert.id]);
    });

    it('follows care-team changes: a nurse removed from a team stops receiving it and cannot act on it', async () => {
      const a = await t.ctx.newTeamWithPatient();
      const other = await t.ctx.newTeamWithPatient();
      await t.pool.query(`INSERT INTO user_care_teams (user_id, care_team_id) VALUES ($1, $2)`, [a.nurse.id, other.team.id]);
      const nurse = await open(a.nurse.token);
      const first = await raiseAlert(t, a.patient.id);
      await waitFor(nurse, (e) => e.alert.id === first.alert.id);
      await t.pool.query(`DELETE FROM user_care_teams WHERE user_id = $1 AND care_team_id = $2`, [a.nurse.id, a.team.id]);
      const ack = await nurse.request<ErrorAnswer>('alert.ack', { id: first.alert.id });
      expect(ack.error.code).toBe('NOT_FOUND');
      const hidden = await raiseAlert(t, a.patient.id, { rule: 'pulse.high', severity: 'warning' });
      const visible = await raiseAlert(t, other.patient.id);
      await waitFor(nurse, (e) => e.alert.id === visible.alert.id);
      expect(nurse.received.map((e) => e.alert.id)).not.toContain(hidden.alert.id);
    });
  });

  it('revalidates open consoles: a deactivated user is disconnected, a removed nurse leaves the team room', async () => {
    const { nurse, patient, team } = await t.ctx.newTeamWithPatient();
    const colleague = await t.ctx.newUser('nurse', [team.id]);
    const mine = await open(nurse.token);
    const theirs = await open(colleague.token);
    await t.pool.query(`UPDATE users SET active = false WHERE id = $1`, [nurse.id]);
    await t.pool.query(`DELETE FROM user_care_teams WHERE user_id = $1`, [colleague.id]);
    const disconnected = new Promise<string>((resolve) => mine.socket.once('disconnect', resolve));
    await (t.app.get(ConsoleGateway) as unknown as { revalidate(): Promise<void> }).revalidate();
    expect(await disconnected).toBe('io server disconnect');
    expect(theirs.socket.connected).toBe(true);
    const rooms = await (t.app.get(ConsoleGateway) as unknown as { nsp: Namespace }).nsp.in(`team:${team.id}`).fetchSockets();
    expect(rooms.map((s) => s.id)).not.toContain(theirs.socket.id);
    const alert = await raiseAlert(t, patient.id, { publish: true });
    // The colleague's own later sync proves nothing arrived before it.
    await theirs.request('alerts.sync');
    expect(theirs.received.map((e) => e.alert.id)).not.toContain(alert.alert.id);
  });

  describe('alerts.sync', () => {
    it('on first connect returns the open and acknowledged alerts, not resolved ones, with the last event id', async () => {
      const { nurse, patient } = await t.ctx.newTeamWithPatient();
      const openAlert = await raiseAlert(t, patient.id, { rule: 'spo2.critical' });
      const acked = await raiseAlert(t, patient.id, { rule: 'pulse.high', severity: 'warning' });
      const resolved = await raiseAlert(t, patient.id, { rule: 'spo2.low', severity: 'warning' });
      const c = await open(nurse.token);
      await c.request('alert.ack', { id: acked.alert.id });
      await c.request('alert.resolve', { id: resolved.alert.id, note: 'sensor off' });
      const sync = await c.request<SyncResult>('alerts.sync');
      expect(sync.hasMore).toBe(false);
      expect(sync.alerts.map((a) => [a.id, a.status]).sort()).toEqual(
        [
          [openAlert.alert.id, 'open'],
          [acked.alert.id, 'acknowledged'],
        ].sort(),
      );
      const maxEvent = await t.pool.query(`SELECT max(id)::text AS max FROM alert_events WHERE patient_id = $1`, [patient.id]);
      expect(sync.lastEventId).toBe(maxEvent.rows[0].max);
      const ackedEntry = sync.alerts.find((a) => a.id === acked.alert.id)!;
      expect(ackedEntry.eventKind).toBe('acknowledged');
      expect(BigInt(ackedEntry.eventId)).toBeGreaterThan(BigInt(acked.eventId));
    });

    it('after a disconnection, returns every event raised meanwhile, including alerts already resolved', async () => {
      const { nurse, patient, team } = await t.ctx.newTeamWithPatient();
      const colleague = await t.ctx.newUser('nurse', [team.id]);
      const c = await connectConsole(t.url, nurse.token);
      const first = await c.request<SyncResult>('alerts.sync');
      expect(first.alerts).toEqual([]);
      const before = await raiseAlert(t, patient.id, { rule: 'pulse.low', severity: 'warning' });
      await waitFor(c, (e) => e.alert.id === before.alert.id);
      const lastSeen = before.eventId;
      c.close();

      // While this console is away: three alerts, one of them handled by a colleague's console.
      const missed = [
        await raiseAlert(t, patient.id, { rule: 'spo2.critical' }),
        await raiseAlert(t, patient.id, { rule: 'pulse.high', severity: 'warning' }),
        await raiseAlert(t, patient.id, { rule: 'spo2.low', severity: 'warning' }),
      ];
      const other = await open(colleague.token);
      await other.request('alert.resolve', { id: missed[2]!.alert.id, note: 'probe displaced' });

      const back = await open(nurse.token);
      const sync = await back.request<SyncResult>('alerts.sync', { afterId: lastSeen });
      const byId = new Map<string, ConsoleAlert[]>();
      for (const a of sync.alerts) byId.set(a.id, [...(byId.get(a.id) ?? []), a]);
      for (const m of missed) expect(byId.has(m.alert.id)).toBe(true);
      expect(byId.get(missed[2]!.alert.id)!.some((a) => a.eventKind === 'resolved' && a.status === 'resolved')).toBe(true);
      // In event order, each (alert, event) once; the earlier alert is repeated as active.
      const ids = sync.alerts.map((a) => BigInt(a.eventId));
      expect(ids).toEqual([...ids].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
      expect(new Set(sync.alerts.map((a) => `${a.id}:${a.eventId}`)).size).toBe(sync.alerts.length);
      expect(byId.get(before.alert.id)).toEqual([{ ...before.alert, eventId: before.eventId, eventKind: 'raised' }]);
      expect(BigInt(sync.lastEventId!)).toBe(ids[ids.length - 1]);
    });

    it('repeats the active alerts on the last page, so an event committed after a higher one is not lost', async () => {
      const { nurse, patient } = await t.ctx.newTeamWithPatient();
      const late = await raiseAlert(t, patient.id, { rule: 'spo2.critical', publish: false });
      const early = await raiseAlert(t, patient.id, { rule: 'pulse.high', severity: 'warning', publish: false });
      const c = await open(nurse.token);
      // The console saw `early` live but not `late` (lower id, committed later in real life).
      const sync = await c.request<SyncResult>('alerts.sync', { afterId: early.eventId });
      expect(sync.alerts.map((a) => a.id)).toContain(late.alert.id);
    });

    it('pages with hasMore and lastEventId', async () => {
      const { nurse, patient } = await t.ctx.newTeamWithPatient();
      const rules = ['spo2.critical', 'spo2.low', 'pulse.high', 'pulse.low', 'niv.leak'] as const;
      const raised = [];
      for (const rule of rules) raised.push(await raiseAlert(t, patient.id, { rule, publish: false }));
      const repo = t.app.get(ConsoleRepository);
      const teams = (await t.pool.query(`SELECT array_agg(care_team_id::text) AS t FROM user_care_teams WHERE user_id = $1`, [nurse.id])).rows[0].t;
      const seen: string[] = [];
      let afterId = String(BigInt(raised[0]!.eventId) - 1n);
      for (let page = 0; page < 10; page++) {
        const r = await repo.sync({ careTeamIds: teams }, afterId, 2);
        seen.push(...r.alerts.filter((a) => BigInt(a.eventId) > BigInt(afterId)).map((a) => a.eventId));
        if (!r.hasMore) break;
        expect(r.alerts).toHaveLength(2);
        afterId = r.lastEventId!;
      }
      expect(new Set(seen)).toEqual(new Set(raised.map((r) => r.eventId)));
    });

    it('answers VALIDATION_FAILED to bad payloads and keeps the socket usable', async () => {
      const { nurse } = await t.ctx.newTeamWithPatient();
      const c = await open(nurse.token);
      for (const payload of [{ afterId: 5 }, { afterId: 'abc' }, 'text', [1, 2], { afterId: '1', drop: true }]) {
        const r = await c.request<ErrorAnswer>('alerts.sync', payload);
        expect(r.error.code).toBe('VALIDATION_FAILED');
      }
      for (const payload of [{}, { id: 12 }, { id: '1', note: 'x'.repeat(2001) }, null]) {
        const r = await c.request<ErrorAnswer>('alert.ack', payload);
        expect(r.error.code).toBe('VALIDATION_FAILED');
      }
      expect(c.socket.connected).toBe(true);
      const ok = await c.request<SyncResult>('alerts.sync', {});
      expect(ok.hasMore).toBe(false);
    });
  });

  describe('alert.ack / alert.resolve', () => {
    it('acknowledges with a note: answered through the callback, audited, broadcast to the other consoles of the team', async () => {
      const { nurse, patient, team } = await t.ctx.newTeamWithPatient();
      const colleague = await t.ctx.newUser('nurse', [team.id]);
      const mine = await open(nurse.token);
      const theirs = await open(colleague.token);
      const alert = await raiseAlert(t, patient.id);
      await waitFor(theirs, (e) => e.alert.id === alert.alert.id);

      const answer = await mine.request<AlertView>('alert.ack', { id: alert.alert.id, note: 'calling the patient' });
      expect(answer).toMatchObject({ id: alert.alert.id, status: 'acknowledged', acknowledgedBy: nurse.id });

      const update = await waitFor(theirs, (e) => e.event === 'alert.updated' && e.alert.id === alert.alert.id);
      expect(update.alert).toMatchObject({ status: 'acknowledged', eventKind: 'acknowledged', acknowledgedBy: nurse.id });

      const db = await t.pool.query(`SELECT status, acknowledged_by FROM alerts WHERE id = $1`, [alert.alert.id]);
      expect(db.rows[0]).toEqual({ status: 'acknowledged', acknowledged_by: nurse.id });
      const events = await t.pool.query(`SELECT id::text, kind, actor_id, note FROM alert_events WHERE alert_id = $1 ORDER BY id`, [alert.alert.id]);
      expect(events.rows.map((r) => [r.kind, r.actor_id, r.note])).toEqual([
        ['raised', null, null],
        ['acknowledged', nurse.id, 'calling the patient'],
      ]);
      expect(update.alert.eventId).toBe(events.rows[1].id);
      const audit = await t.pool.query(`SELECT actor_id, patient_id, details FROM audit_log WHERE action = 'alert.acknowledge' AND target_id = $1`, [alert.alert.id]);
      expect(audit.rows).toEqual([{ actor_id: nurse.id, patient_id: patient.id, details: { note: 'calling the patient' } }]);

      // A second console acknowledging the same alert: same answer, no second event.
      const again = await theirs.request<AlertView>('alert.ack', { id: alert.alert.id });
      expect(again.status).toBe('acknowledged');
      const count = await t.pool.query(`SELECT count(*)::int AS n FROM alert_events WHERE alert_id = $1`, [alert.alert.id]);
      expect(count.rows[0].n).toBe(2);
    });

    it('resolves with a note; a resolved alert cannot be acknowledged', async () => {
      const { physician, patient } = await t.ctx.newTeamWithPatient();
      const c = await open(physician.token);
      const alert = await raiseAlert(t, patient.id);
      const resolved = await c.request<AlertView>('alert.resolve', { id: alert.alert.id, note: 'false alarm, probe off' });
      expect(resolved).toMatchObject({ status: 'resolved', resolution: 'manual', resolvedBy: physician.id });
      await waitFor(c, (e) => e.alert.id === alert.alert.id && e.alert.eventKind === 'resolved');
      const ack = await c.request<ErrorAnswer>('alert.ack', { id: alert.alert.id });
      expect(ack.error.code).toBe('ALERT_ALREADY_RESOLVED');
      const note = await t.pool.query(`SELECT note FROM alert_events WHERE alert_id = $1 AND kind = 'resolved'`, [alert.alert.id]);
      expect(note.rows).toEqual([{ note: 'false alarm, probe off' }]);
    });

    it('refuses admins (FORBIDDEN) and unknown alerts (NOT_FOUND)', async () => {
      const { patient } = await t.ctx.newTeamWithPatient();
      const admin = await t.ctx.newUser('admin');
      const c = await open(admin.token);
      const alert = await raiseAlert(t, patient.id);
      expect((await c.request<ErrorAnswer>('alert.ack', { id: alert.alert.id })).error.code).toBe('FORBIDDEN');
      expect((await c.request<ErrorAnswer>('alert.resolve', { id: alert.alert.id })).error.code).toBe('FORBIDDEN');
      const { nurse } = await t.ctx.newTeamWithPatient();
      const n = await open(nurse.token);
      expect((await n.request<ErrorAnswer>('alert.ack', { id: '999999999999' })).error.code).toBe('NOT_FOUND');
      const status = await t.pool.query(`SELECT status FROM alerts WHERE id = $1`, [alert.alert.id]);
      expect(status.rows[0].status).toBe('open');
    });
  });

  describe('hostile socket input (issue 7 §5)', () => {
    it.each([
      "1 OR 1=1",
      "1; DROP TABLE alerts; --",
      '../../etc/passwd',
      '9'.repeat(19),
      '99999999999999999999999999',
      '-1',
      '1e3',
      ' 1',
      '１',
      '0x1F',
      '',
    ])('answers VALIDATION_FAILED to the id %j in alert.ack, alert.resolve and alerts.sync', async (id) => {
      const { nurse, patient } = await t.ctx.newTeamWithPatient();
      const c = await open(nurse.token);
      const alert = await raiseAlert(t, patient.id);
      for (const [event, payload] of [['alert.ack', { id }], ['alert.resolve', { id, note: "'); DELETE FROM alerts; --" }], ['alerts.sync', { afterId: id }]] as const) {
        expect((await c.request<ErrorAnswer>(event, payload)).error.code).toBe('VALIDATION_FAILED');
      }
      expect(c.socket.connected).toBe(true);
      const status = await t.pool.query(`SELECT status FROM alerts WHERE id = $1`, [alert.alert.id]);
      expect(status.rows[0].status).toBe('open');
    });

    it('ignores unknown events and odd arguments, is not polluted by prototype keys, and keeps the socket usable', async () => {
      const { nurse } = await t.ctx.newTeamWithPatient();
      const c = await open(nurse.token);
      c.socket.emit('admin.drop', { table: 'alerts' });
      c.socket.emit('alerts.sync'); // no acknowledgement callback
      c.socket.emit('alert.ack', { id: '1' }, 'extra', 42);
      c.socket.emit('__proto__', {});
      const binary = await c.request<ErrorAnswer>('alerts.sync', Buffer.from([0, 1, 2, 255]));
      expect(binary.error.code).toBe('VALIDATION_FAILED');
      // Prototype keys: refused, or dropped (read as {}): never an afterId taken from them.
      const proto = await c.request<SyncResult & Partial<ErrorAnswer>>('alerts.sync', JSON.parse('{"__proto__": {"afterId": "1"}, "constructor": {"prototype": {"x": 1}}}'));
      if (proto.error) expect(proto.error.code).toBe('VALIDATION_FAILED');
      else expect(proto).toEqual(await c.request<SyncResult>('alerts.sync', {}));
      expect(({} as Record<string, unknown>).afterId).toBeUndefined(); // the server runs in this process
      // 8,000 levels (48 kB, under the 64 KiB frame limit) as a raw socket.io packet: the client library cannot encode it.
      const answers: { type: number; id?: number; data?: unknown }[] = [];
      c.socket.io.on('packet', (packet) => answers.push(packet as (typeof answers)[number]));
      c.socket.io.engine.write(`2/console,777["alerts.sync",${'{"a":'.repeat(8_000)}1${'}'.repeat(8_000)}]`);
      const deep = await eventually(async () => answers.find((a) => a.id === 777), 5000, 20);
      expect((deep.data as ErrorAnswer[])[0]!.error.code).toBe('VALIDATION_FAILED');
      expect(c.socket.connected).toBe(true);
      expect((await c.request<SyncResult>('alerts.sync', {})).hasMore).toBe(false);
    });

    it('closes a connection that sends more than 64 KiB at once; the process serves the others', async () => {
      const { nurse } = await t.ctx.newTeamWithPatient();
      const bystander = await open(nurse.token);
      const c = await open(nurse.token);
      const closed = new Promise<string>((resolve) => c.socket.once('disconnect', resolve));
      c.socket.emit('alert.ack', { id: '1', note: 'x'.repeat(70 * 1024) });
      expect(await closed).toMatch(/transport (close|error)/);
      expect((await bystander.request<SyncResult>('alerts.sync', {})).hasMore).toBe(false);
      expect((await fetch(`${t.url}/health/live`)).status).toBe(200);
    });
  });
});
