import { describe, expect, it } from '@jest/globals';
import { AppError } from '../common/app-error.js';
import { AlertActionDto, parsePayload, SyncDto } from './console.dto.js';
import { roomsFor, roomsOf, socketEventOf, toConsoleAlert } from './console-events.js';
import type { AlertView } from '#domain';

describe('console rooms', () => {
  it.each([
    ['nurse', ['t1', 't2'], ['team:t1', 'team:t2']],
    ['physician', ['t1'], ['team:t1', 'user:u1']],
    ['admin', [], []],
    ['nurse', [], []],
  ] as const)('a %s of teams %j joins %j', (role, teams, rooms) => {
    expect(roomsFor({ userId: 'u1', role, careTeamIds: teams })).toEqual(rooms);
  });

  it('sends an event to the team, and to the physicians once escalated, each room once', () => {
    expect(roomsOf({ careTeamId: 't1', physicianIds: [] })).toEqual(['team:t1']);
    expect(roomsOf({ careTeamId: 't1', physicianIds: ['p1', 'p2', 'p1'] })).toEqual(['team:t1', 'user:p1', 'user:p2']);
  });

  it.each([
    ['raised', 'alert.raised'],
    ['occurrence', 'alert.updated'],
    ['severity', 'alert.updated'],
    ['acknowledged', 'alert.updated'],
    ['resolved', 'alert.updated'],
    ['escalated', 'alert.updated'],
  ] as const)('a %s event is sent as %s', (kind, event) => {
    expect(socketEventOf(kind)).toBe(event);
  });

  it('adds eventId and eventKind alongside the alert fields, without wrapping', () => {
    const alert = { id: '7', patientId: 'p', rule: 'spo2.low', severity: 'warning' } as AlertView;
    expect(toConsoleAlert({ eventId: '42', kind: 'raised', alert })).toEqual({ ...alert, eventId: '42', eventKind: 'raised' });
  });
});

describe('socket payload validation', () => {
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      return err instanceof AppError ? err.code : 'other';
    }
    return 'ok';
  };

  it.each([
    [undefined, 'ok'],
    [null, 'ok'],
    [{}, 'ok'],
    [{ afterId: '0' }, 'ok'],
    [{ afterId: '123456789012345678' }, 'ok'],
    [{ afterId: 12 }, 'VALIDATION_FAILED'],
    [{ afterId: '-1' }, 'VALIDATION_FAILED'],
    [{ afterId: '1; DROP TABLE alerts' }, 'VALIDATION_FAILED'],
    [{ afterId: '1234567890123456789' }, 'VALIDATION_FAILED'],
    [{ afterId: '1', extra: true }, 'VALIDATION_FAILED'],
    ['1', 'VALIDATION_FAILED'],
    [[{ afterId: '1' }], 'VALIDATION_FAILED'],
  ])('alerts.sync %j → %s', (payload, expected) => {
    expect(code(() => parsePayload(SyncDto, payload, true))).toBe(expected);
  });

  it.each([
    [{ id: '1' }, 'ok'],
    [{ id: '1', note: 'called the patient' }, 'ok'],
    [{ id: '1', note: 'x'.repeat(2000) }, 'ok'],
    [{ id: '1', note: 'x'.repeat(2001) }, 'VALIDATION_FAILED'],
    [{ id: '1', note: 5 }, 'VALIDATION_FAILED'],
    [{ id: 1 }, 'VALIDATION_FAILED'],
    [{}, 'VALIDATION_FAILED'],
    [undefined, 'VALIDATION_FAILED'],
    [{ id: '1', status: 'resolved' }, 'VALIDATION_FAILED'],
  ])('alert.ack %j → %s', (payload, expected) => {
    expect(code(() => parsePayload(AlertActionDto, payload))).toBe(expected);
  });
});
