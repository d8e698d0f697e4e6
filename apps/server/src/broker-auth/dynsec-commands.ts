import { BACKEND_SUBSCRIBE_FILTERS, devicePublishTopics } from './device-acl.js';

/**
 * Commands of the Mosquitto dynamic security plugin (2.0), sent as
 * `{"commands": [...]}` on `$CONTROL/dynamic-security/v1`; the plugin answers
 * `{"responses": [{command, error?, data?, correlationData?}, ...]}` on
 * `$CONTROL/dynamic-security/v1/response`, one response per command, in order.
 *
 * Checked against Mosquitto 2.0.11: ACL patterns (%u, %c) are NOT substituted by the plugin in
 * this version, so each device gets its own role; `addClientRole` on a role the client already
 * has answers "Internal error", so re-provisioning uses `modifyClient` (replaces the role list).
 */
export const DYNSEC_TOPIC = '$CONTROL/dynamic-security/v1';
export const DYNSEC_RESPONSE_TOPIC = '$CONTROL/dynamic-security/v1/response';

export interface DynsecCommand {
  command: string;
  correlationData?: string;
  [field: string]: unknown;
}

export interface DynsecResponse {
  command: string;
  error?: string;
  data?: unknown;
  correlationData?: string;
}

/** The role holding one device's ACL. */
export function deviceRoleName(deviceId: string): string {
  return `tm-device-${deviceId}`;
}

/** The role of the backend's ingest identity (MQTT_USERNAME). */
export const BACKEND_ROLE = 'tm-backend-ingest';

/** ACL entries of the backend's ingest role: subscribe to the device filters, plain or shared. */
export function backendRoleAcls(): Array<{ acltype: string; topic: string; allow: boolean }> {
  return BACKEND_SUBSCRIBE_FILTERS.flatMap((filter) => [
    { acltype: 'subscribePattern', topic: filter, allow: true },
    // `+` as the group level matches any group name (INGEST_SHARE_GROUP is a deployment setting).
    { acltype: 'subscribePattern', topic: `$share/+/${filter}`, allow: true },
  ]);
}

/** Errors that mean "already in the wanted state" for the command that produced them. */
const HARMLESS: Record<string, string[]> = {
  createRole: ['Role already exists'],
  addRoleACL: ['ACL with this topic already exists'],
  disableClient: ['Client not found'],
};

/** Creates (or re-creates) the device's role and client. Second step: see provisionExistingCommands. */
export function provisionCommands(deviceId: string, secret: string): DynsecCommand[] {
  const rolename = deviceRoleName(deviceId);
  return [
    { command: 'createRole', rolename, textname: `device ${deviceId}` },
    ...devicePublishTopics(deviceId).map((topic) => ({ command: 'addRoleACL', rolename, acltype: 'publishClientSend', topic, allow: true })),
    {
      command: 'createClient',
      username: deviceId,
      password: secret,
      // Binds the username to the client id: a device cannot take over another device's session.
      clientid: deviceId,
      roles: [{ rolename }],
    },
  ];
}

/** When the client already existed: new password, client id binding, role list, enabled. */
export function provisionExistingCommands(deviceId: string, secret: string): DynsecCommand[] {
  return [
    { command: 'modifyClient', username: deviceId, password: secret, clientid: deviceId, roles: [{ rolename: deviceRoleName(deviceId) }] },
    { command: 'enableClient', username: deviceId },
  ];
}

/** Disabling also disconnects the device if it is connected (MQTT 5 reason 0x98, administrative action). */
export function revokeCommands(deviceId: string): DynsecCommand[] {
  return [{ command: 'disableClient', username: deviceId }];
}

export function restoreCommands(deviceId: string): DynsecCommand[] {
  return [{ command: 'enableClient', username: deviceId }];
}

/** Ensures the ingest role, and the ingest client when its password is known and it does not exist yet. */
export function backendRoleCommands(): DynsecCommand[] {
  return [
    { command: 'createRole', rolename: BACKEND_ROLE, textname: 'telemonitoring backend: ingest' },
    ...backendRoleAcls().map((acl) => ({ command: 'addRoleACL', rolename: BACKEND_ROLE, ...acl })),
  ];
}

export type Outcome = { ok: true } | { ok: false; clientExists: boolean; clientMissing: boolean; errors: string[] };

/**
 * Reads the responses of one batch: ok when every command succeeded or failed harmlessly.
 * `clientExists` / `clientMissing` tell the caller which follow-up applies.
 */
export function interpretResponses(commands: DynsecCommand[], responses: DynsecResponse[]): Outcome {
  const errors: string[] = [];
  let clientExists = false;
  let clientMissing = false;
  commands.forEach((cmd, i) => {
    const res = responses[i];
    if (!res || res.command !== cmd.command) {
      errors.push(`${cmd.command}: no response`);
      return;
    }
    if (!res.error || HARMLESS[cmd.command]?.includes(res.error)) return;
    if (res.error === 'Client already exists') clientExists = true;
    if (res.error === 'Client not found') clientMissing = true;
    errors.push(`${cmd.command}: ${res.error}`);
  });
  return errors.length === 0 ? { ok: true } : { ok: false, clientExists, clientMissing, errors };
}
