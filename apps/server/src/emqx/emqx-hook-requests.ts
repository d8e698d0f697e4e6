/**
 * The bodies EMQX 5's HTTP authenticator and HTTP authorizer send, as deploy/emqx/emqx.conf
 * templates them (https://docs.emqx.com/en/emqx/latest/access-control/authn/http.html and
 * …/authz/http.html): every placeholder is rendered into a JSON string, so `qos` arrives as "1"
 * and `retain` as "false". Pure: anything that is not exactly that shape is `undefined`, which
 * the hooks answer with deny.
 */

/** Longer than any device id, topic or secret of ours (CONTRACT.md §1): refused, not truncated. */
export const MAX_FIELD_LENGTH = 256;

export interface AuthnRequest {
  clientid: string;
  username: string;
  password: string;
}

export interface AuthzRequest {
  clientid: string;
  username: string;
  action: 'publish' | 'subscribe';
  topic: string;
  qos: 0 | 1 | 2;
  /** Publish only (a subscription has no retain flag: EMQX's rendering of it is not relied on). */
  retain: boolean;
}

/** EMQX's answer format: 200 with `result` (and `is_superuser` for authentication). */
export type HookAnswer = { result: 'allow' | 'deny'; is_superuser?: false };
export const DENY: HookAnswer = Object.freeze({ result: 'deny' });

// C0 controls, DEL and C1 controls: no device id, topic or secret of ours has them.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function field(body: Record<string, unknown>, name: string, allowEmpty = false): string | undefined {
  const value = body[name];
  if (typeof value !== 'string' || value.length > MAX_FIELD_LENGTH || CONTROL.test(value)) return undefined;
  return value === '' && !allowEmpty ? undefined : value;
}

/** JSON text → a plain object, or undefined (not JSON, an array, a scalar, null). */
export function parseHookBody(text: unknown): Record<string, unknown> | undefined {
  if (typeof text !== 'string') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

export function parseAuthnRequest(body: Record<string, unknown> | undefined): AuthnRequest | undefined {
  if (!body) return undefined;
  const clientid = field(body, 'clientid');
  const username = field(body, 'username');
  const password = field(body, 'password');
  if (clientid === undefined || username === undefined || password === undefined) return undefined;
  return { clientid, username, password };
}

export function parseAuthzRequest(body: Record<string, unknown> | undefined): AuthzRequest | undefined {
  if (!body) return undefined;
  const clientid = field(body, 'clientid');
  const username = field(body, 'username');
  const action = field(body, 'action');
  const topic = field(body, 'topic');
  const qos = parseQos(body.qos);
  const retain = action === 'subscribe' ? false : parseRetain(body.retain);
  if (clientid === undefined || username === undefined || topic === undefined) return undefined;
  if ((action !== 'publish' && action !== 'subscribe') || qos === undefined || retain === undefined) return undefined;
  return { clientid, username, action, topic, qos, retain };
}

function parseQos(value: unknown): 0 | 1 | 2 | undefined {
  const text = typeof value === 'number' ? String(value) : value;
  return text === '0' ? 0 : text === '1' ? 1 : text === '2' ? 2 : undefined;
}

function parseRetain(value: unknown): boolean | undefined {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return undefined;
}
