import { describe, expect, it } from '@jest/globals';
import { MAX_FIELD_LENGTH, parseAuthnRequest, parseAuthzRequest, parseHookBody } from './emqx-hook-requests.js';

// The shapes deploy/emqx/emqx.conf makes EMQX send: every placeholder rendered into a string.
const AUTHN = { clientid: 'OX-1', username: 'OX-1', password: 's3cret', peerhost: '10.0.0.7' };
const AUTHZ = { clientid: 'OX-1', username: 'OX-1', action: 'publish', topic: 'tm/v1/devices/OX-1/readings', qos: '1', retain: 'false' };

describe('parseHookBody', () => {
  it.each([
    ['not JSON', '{"clientid": '],
    ['an array', '[1,2]'],
    ['a string', '"x"'],
    ['null', 'null'],
    ['a number', '12'],
    ['no body', undefined],
  ])('%s → undefined', (_name, text) => {
    expect(parseHookBody(text)).toBeUndefined();
  });

  it('an object → the object', () => {
    expect(parseHookBody(JSON.stringify(AUTHN))).toEqual(AUTHN);
  });
});

describe('parseAuthnRequest', () => {
  it('reads what EMQX sends (extra fields ignored)', () => {
    expect(parseAuthnRequest(AUTHN)).toEqual({ clientid: 'OX-1', username: 'OX-1', password: 's3cret' });
  });

  it.each<[string, Record<string, unknown>]>([
    ['missing clientid', { username: 'OX-1', password: 'x' }],
    ['missing password', { clientid: 'OX-1', username: 'OX-1' }],
    ['a number password', { ...AUTHN, password: 1234 }],
    ['an object username', { ...AUTHN, username: { $ne: '' } }],
    ['an empty username (no username in CONNECT)', { ...AUTHN, username: '' }],
    ['an empty password', { ...AUTHN, password: '' }],
    ['an over-long username', { ...AUTHN, username: 'a'.repeat(MAX_FIELD_LENGTH + 1) }],
    ['a control character', { ...AUTHN, clientid: 'OX-1\u0000' }],
    ['a newline in the password', { ...AUTHN, password: 'a\nb' }],
  ])('%s → undefined', (_name, body) => {
    expect(parseAuthnRequest(body)).toBeUndefined();
  });
});

describe('parseAuthzRequest', () => {
  it('reads a publish as EMQX renders it (qos and retain as strings)', () => {
    expect(parseAuthzRequest(AUTHZ)).toEqual({ ...AUTHZ, qos: 1, retain: false });
    expect(parseAuthzRequest({ ...AUTHZ, qos: 2, retain: true })).toMatchObject({ qos: 2, retain: true });
  });

  it('reads a subscribe whatever its retain placeholder renders to', () => {
    expect(parseAuthzRequest({ ...AUTHZ, action: 'subscribe', retain: 'undefined' })).toMatchObject({ action: 'subscribe', retain: false });
  });

  it.each<[string, Record<string, unknown>]>([
    ['an unknown action', { ...AUTHZ, action: 'all' }],
    ['missing topic', { ...AUTHZ, topic: undefined }],
    ['qos 3', { ...AUTHZ, qos: '3' }],
    ['qos missing', { ...AUTHZ, qos: undefined }],
    ['a publish without retain', { ...AUTHZ, retain: undefined }],
    ['retain "yes"', { ...AUTHZ, retain: 'yes' }],
    ['an over-long topic', { ...AUTHZ, topic: `tm/v1/devices/${'a'.repeat(MAX_FIELD_LENGTH)}/readings` }],
  ])('%s → undefined', (_name, body) => {
    expect(parseAuthzRequest(body)).toBeUndefined();
  });
});
