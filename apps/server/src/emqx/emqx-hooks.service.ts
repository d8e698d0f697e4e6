import { Inject, Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { backendMaySubscribe, deviceMayPublish, isDeviceId } from '../broker-auth/device-acl.js';
import { type DeviceCredentialLookup, deviceSecretMatches } from '../broker-auth/embedded-broker-auth.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { type AuthnRequest, type AuthzRequest, DENY, type HookAnswer } from './emqx-hook-requests.js';

/** Injection token of the device credential lookup (PgDeviceCredentialLookup on the app's pool). */
export const DEVICE_CREDENTIALS = Symbol('DEVICE_CREDENTIALS');

const ALLOW: HookAnswer = Object.freeze({ result: 'allow', is_superuser: false });
/** The authorizer's answer has no superuser flag. */
const PERMIT: HookAnswer = Object.freeze({ result: 'allow' });

/** Equal-time comparison of two strings of any length (digests first, so lengths do not leak). */
export function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * EMQX's questions, answered with the same rules as Mosquitto's provisioning and the embedded
 * broker (broker-auth/device-acl.ts, CONTRACT.md §1): a device logs in with username = client id
 * = its id and its secret (active devices only), publishes only to its own topics and subscribes
 * to nothing; the backend's ingest identity (MQTT_USERNAME / MQTT_PASSWORD) subscribes to the
 * device filters, plain or `$share/<group>/…`, and publishes nothing. Never a superuser.
 */
@Injectable()
export class EmqxHooksService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(DEVICE_CREDENTIALS) private readonly devices: DeviceCredentialLookup,
  ) {}

  async authenticate(req: AuthnRequest): Promise<HookAnswer> {
    const backend = this.backendIdentity();
    if (backend && req.username === backend.username) return sameSecret(req.password, backend.password) ? ALLOW : DENY;
    if (!isDeviceId(req.username) || req.clientid !== req.username) return DENY;
    const device = await this.devices.find(req.username);
    return (await deviceSecretMatches(device, req.password)) ? ALLOW : DENY;
  }

  async authorize(req: AuthzRequest): Promise<HookAnswer> {
    const backend = this.backendIdentity();
    if (backend && req.username === backend.username) {
      return req.action === 'subscribe' && backendMaySubscribe(req.topic) ? PERMIT : DENY;
    }
    if (!isDeviceId(req.username) || req.clientid !== req.username) return DENY;
    if (req.action !== 'publish' || !deviceMayPublish(req.username, req.topic)) return DENY;
    // A device deactivated while connected is refused at its next uncached publish (EMQX caches
    // answers: deploy/emqx/emqx.conf, authorization.cache).
    const device = await this.devices.find(req.username);
    return device?.active ? PERMIT : DENY;
  }

  private backendIdentity(): { username: string; password: string } | undefined {
    const { username, password } = this.config.mqtt;
    return username && password ? { username, password } : undefined;
  }
}
