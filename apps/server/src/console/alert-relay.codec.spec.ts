import { describe, expect, it } from '@jest/globals';
import type { AlertView } from '#domain';
import type { AlertEventMessage } from '../events/event-hubs.js';
import { decodeRelayPayload, encodeRelayPayload, MAX_RELAY_PAYLOAD_BYTES } from './alert-relay.codec.js';

const message = (text = 'SpO2 79 % below 83 %'): AlertEventMessage => ({
  eventId: '1187',
  kind: 'raised',
  event: 'alert.raised',
  careTeamId: 'b2c6f0b8-7a43-4a55-9d55-0a1f3d9c0e11',
  physicianIds: [],
  alert: { id: '42', message: text } as AlertView,
});

describe('alert relay payload', () => {
  it('carries the whole committed event when it fits in a NOTIFY', () => {
    const raw = encodeRelayPayload(message());
    expect(decodeRelayPayload(raw)).toEqual({ v: 1, message: message() });
  });

  it('falls back to the event id when the event is too large for NOTIFY', () => {
    const raw = encodeRelayPayload(message('x'.repeat(MAX_RELAY_PAYLOAD_BYTES)));
    expect(Buffer.byteLength(raw)).toBeLessThan(100);
    expect(decodeRelayPayload(raw)).toEqual({ v: 1, eventId: '1187' });
  });

  it.each([
    [undefined],
    [''],
    ['not json'],
    ['{"v":2,"eventId":"1"}'],
    ['{"v":1,"eventId":"1; drop"}'],
    ['{"v":1,"message":{"eventId":"1","careTeamId":"t","physicianIds":[],"event":"alert.deleted","kind":"raised","alert":{}}}'],
    ['{"v":1,"message":{"eventId":"1","careTeamId":"t","event":"alert.raised","kind":"raised","alert":{}}}'],
    ['[1,2]'],
  ])('ignores %j', (raw) => {
    expect(decodeRelayPayload(raw)).toBeUndefined();
  });
});
