import { describe, expect, it } from '@jest/globals';
import {
  backendRoleAcls,
  deviceRoleName,
  interpretResponses,
  provisionCommands,
  provisionExistingCommands,
  revokeCommands,
  type DynsecCommand,
} from './dynsec-commands.js';

describe('dynamic security commands', () => {
  it('provisions a role that may publish to the device topics only, and a client bound to the device id', () => {
    const cmds = provisionCommands('OX-1', 's3cret');
    expect(cmds.map((c) => c.command)).toEqual(['createRole', 'addRoleACL', 'addRoleACL', 'createClient']);
    expect(cmds.filter((c) => c.command === 'addRoleACL')).toEqual([
      { command: 'addRoleACL', rolename: 'tm-device-OX-1', acltype: 'publishClientSend', topic: 'tm/v1/devices/OX-1/readings', allow: true },
      { command: 'addRoleACL', rolename: 'tm-device-OX-1', acltype: 'publishClientSend', topic: 'tm/v1/devices/OX-1/status', allow: true },
    ]);
    expect(cmds[3]).toEqual({
      command: 'createClient',
      username: 'OX-1',
      password: 's3cret',
      clientid: 'OX-1',
      roles: [{ rolename: deviceRoleName('OX-1') }],
    });
  });

  it('re-provisions an existing client by replacing password, client id, roles and enabling it', () => {
    expect(provisionExistingCommands('OX-1', 'new').map((c) => c.command)).toEqual(['modifyClient', 'enableClient']);
  });

  it('lets the backend subscribe to device filters, plain or in any share group, and nothing else', () => {
    expect(backendRoleAcls().map((a) => `${a.acltype} ${a.topic}`)).toEqual([
      'subscribePattern tm/v1/devices/+/readings',
      'subscribePattern $share/+/tm/v1/devices/+/readings',
      'subscribePattern tm/v1/devices/+/status',
      'subscribePattern $share/+/tm/v1/devices/+/status',
    ]);
  });

  const batch = provisionCommands('OX-1', 'x');
  const ok = (c: DynsecCommand) => ({ command: c.command });
  it.each([
    ['all succeed', batch.map(ok), { ok: true }],
    [
      'role and ACLs already there',
      [
        { command: 'createRole', error: 'Role already exists' },
        { command: 'addRoleACL', error: 'ACL with this topic already exists' },
        { command: 'addRoleACL', error: 'ACL with this topic already exists' },
        { command: 'createClient' },
      ],
      { ok: true },
    ],
    [
      'client already exists',
      [...batch.slice(0, 3).map(ok), { command: 'createClient', error: 'Client already exists' }],
      { ok: false, clientExists: true, clientMissing: false, errors: ['createClient: Client already exists'] },
    ],
    ['missing responses', [ok(batch[0]!)], { ok: false, clientExists: false, clientMissing: false, errors: ['addRoleACL: no response', 'addRoleACL: no response', 'createClient: no response'] }],
    [
      'another failure',
      [...batch.slice(0, 3).map(ok), { command: 'createClient', error: 'Internal error' }],
      { ok: false, clientExists: false, clientMissing: false, errors: ['createClient: Internal error'] },
    ],
  ])('reads responses: %s', (_name, responses, expected) => {
    expect(interpretResponses(batch, responses)).toEqual(expected);
  });

  it('treats revoking an unknown client as done', () => {
    expect(interpretResponses(revokeCommands('OX-9'), [{ command: 'disableClient', error: 'Client not found' }])).toEqual({ ok: true });
  });
});
