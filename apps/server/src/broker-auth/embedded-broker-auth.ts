import type { AedesOptions, AuthenticateError, Client } from 'aedes';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Pool } from 'pg';
import { dummySecretHash, verifySecret } from '../auth/password.js';
import { backendMaySubscribe, deviceMayPublish, isDeviceId } from './device-acl.js';

/** A device's broker credentials as the registry keeps them. */
export interface DeviceCredentials {
  secretHash: string;
  active: boolean;
}

export interface DeviceCredentialLookup {
  find(deviceId: string): Promise<DeviceCredentials | undefined>;
}

/** Reads the devices table (the embedded broker lives outside Nest, so it gets its own small pool). */
export class PgDeviceCredentialLookup implements DeviceCredentialLookup {
  constructor(private readonly pool: Pick<Pool, 'query'>) {}

  async find(deviceId: string): Promise<DeviceCredentials | undefined> {
    const { rows } = await this.pool.query<DeviceCredentials>(
      `SELECT secret_hash AS "secretHash", active FROM devices WHERE device_id = $1`,
      [deviceId],
    );
    return rows[0];
  }
}

/**
 * A device's broker login: registered, active, and the secret matches its argon2 hash. Unknown
 * and inactive devices cost one verify against a dummy hash, like a wrong secret (no timing
 * oracle for which ids exist). Shared by the embedded broker and the EMQX hooks (emqx/).
 */
export async function deviceSecretMatches(device: DeviceCredentials | undefined, secret: string): Promise<boolean> {
  if (!device || !device.active) {
    await verifySecret(await dummySecretHash(), secret);
    return false;
  }
  return verifySecret(device.secretHash, secret);
}

export interface EmbeddedBrokerAuthOptions {
  lookup: DeviceCredentialLookup;
  /** The backend's own connections (ingest, health probe): a credential generated at start. */
  internal: { username: string; password: string };
  /** How long a verified (device, secret) pair skips argon2 on reconnect. Default 60 s. */
  verifiedTtlMs?: number;
  /** How long a connected device's `active` flag is trusted before publishing re-reads it. Default 5 s. */
  activeTtlMs?: number;
  now?: () => number;
}

type Identity = { kind: 'internal' } | { kind: 'device'; deviceId: string; activeCheckedAt: number };
type Hooks = Required<Pick<AedesOptions, 'authenticate' | 'authorizePublish' | 'authorizeSubscribe'>>;

// MQTT 3.1.1 CONNACK return codes (aedes' AuthErrorCode is a const enum, not importable at run time).
const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;

function authError(message: string, returnCode: number): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

function digest(...parts: (string | Buffer)[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest();
}

/**
 * Device authentication for the embedded aedes broker of the demo, with the same rules as the
 * Mosquitto provisioning (device-acl.ts): a device connects with username = client id = its
 * deviceId and its secret (argon2 verify against the devices table, active devices only), may
 * publish only to its own readings and status topics, and subscribe to nothing. The backend's
 * internal identity may subscribe to the device filters and publish nothing.
 */
export function createEmbeddedBrokerAuth(options: EmbeddedBrokerAuthOptions): Hooks {
  const now = options.now ?? Date.now;
  const verifiedTtl = options.verifiedTtlMs ?? 60_000;
  const activeTtl = options.activeTtlMs ?? 5_000;
  const identities = new WeakMap<Client, Identity>();
  const verified = new Map<string, { fingerprint: Buffer; until: number }>();
  const internalDigest = digest(options.internal.password);

  async function checkDevice(deviceId: string, password: Buffer): Promise<boolean> {
    const device = await options.lookup.find(deviceId);
    if (device?.active) {
      const cached = verified.get(deviceId);
      if (cached && cached.until > now() && timingSafeEqual(cached.fingerprint, digest(device.secretHash, password))) return true;
    }
    if (!(await deviceSecretMatches(device, password.toString('utf8')))) return false;
    const fingerprint = digest(device!.secretHash, password);
    if (verified.size > 10_000) for (const [k, v] of verified) if (v.until <= now()) verified.delete(k);
    verified.set(deviceId, { fingerprint, until: now() + verifiedTtl });
    return true;
  }

  async function stillActive(identity: Extract<Identity, { kind: 'device' }>): Promise<boolean> {
    if (now() - identity.activeCheckedAt < activeTtl) return true;
    const device = await options.lookup.find(identity.deviceId);
    if (!device?.active) return false;
    identity.activeCheckedAt = now();
    return true;
  }

  return {
    authenticate(client, username, password, done) {
      if (username === undefined || password === undefined) {
        return done(authError('credentials required', BAD_USERNAME_OR_PASSWORD), false);
      }
      if (username === options.internal.username) {
        const ok = timingSafeEqual(digest(password), internalDigest);
        if (ok) identities.set(client, { kind: 'internal' });
        return done(ok ? null : authError('bad credentials', BAD_USERNAME_OR_PASSWORD), ok);
      }
      if (!isDeviceId(username)) return done(authError('bad credentials', BAD_USERNAME_OR_PASSWORD), false);
      if (client.id !== username) return done(authError('client id must be the device id', IDENTIFIER_REJECTED), false);
      checkDevice(username, password).then(
        (ok) => {
          if (ok) identities.set(client, { kind: 'device', deviceId: username, activeCheckedAt: now() });
          done(ok ? null : authError('bad credentials', BAD_USERNAME_OR_PASSWORD), ok);
        },
        () => done(authError('device registry unavailable', SERVER_UNAVAILABLE), false),
      );
    },

    authorizePublish(client, packet, callback) {
      const identity = client ? identities.get(client) : undefined;
      if (identity?.kind !== 'device' || !deviceMayPublish(identity.deviceId, packet.topic)) {
        return callback(new Error('not authorised to publish to this topic'));
      }
      stillActive(identity).then(
        (active) => callback(active ? null : new Error('device deactivated')),
        () => callback(new Error('device registry unavailable')),
      );
    },

    authorizeSubscribe(client, subscription, callback) {
      const identity = identities.get(client);
      if (identity?.kind === 'internal' && backendMaySubscribe(subscription.topic)) return callback(null, subscription);
      // null: refused (SUBACK 0x80); the connection stays up.
      return callback(null, null);
    },
  };
}
