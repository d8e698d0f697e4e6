import { Inject, Injectable, Logger } from '@nestjs/common';
import type { DeviceKind } from '#domain';
import { DEVICE_ID_PATTERN, parseReadingsPayload, readingsTopic } from '#protocol';
import type { Principal } from '../../auth/principal.js';
import { actorOf, AuditService } from '../../audit/audit.service.js';
import { AuthService } from '../../auth/auth.service.js';
import { LoginRateLimiter } from '../../auth/login-rate-limiter.js';
import { deviceSecretMatches, type DeviceCredentialLookup } from '../../broker-auth/embedded-broker-auth.js';
import { AppError } from '../../common/app-error.js';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { InflightBudget } from '../../ingest/inflight-budget.js';
import { InflightMessage } from '../../ingest/inflight-message.js';
import { MessageRouter } from '../../ingest/message-router.js';
import type { Resource } from '../fhir-resources.js';
import { DeviceCache } from '../../ingest/device-cache.js';
import { checkSubjects, entryProblems, FeedError, readFeedBundle, responseBundle, transactionOutcome, type FeedBundle } from './feed-bundle.js';

/** Injection token of the device credential lookup the broker's authentication uses. */
export const FEED_DEVICE_CREDENTIALS = Symbol('FEED_DEVICE_CREDENTIALS');
/** Injection token of the registry's device registration (DeviceRegistryService), null where the registry does not run. */
export const FEED_DEVICE_CREATOR = Symbol('FEED_DEVICE_CREATOR');

/** The registry's one registration path (audited, provisioned on the broker, the ingest cache told). */
export interface DeviceCreator {
  register(principal: Principal, input: { deviceId: string; kind: DeviceKind; patientId: string }): Promise<unknown>;
}

/** How long a request waits for its message's commit before answering 503 (the commit still happens). */
const COMMIT_WAIT_MS = 30_000;

/** Who sends the Bundle: a registered device (the gateway), or an admin. */
export type FeedSender = { kind: 'device'; deviceId: string; ip?: string } | { kind: 'admin'; principal: Principal };

export type FeedAnswer = { status: number; body: Resource };

/**
 * Inbound FHIR (CONTRACT.md §8): the Bundle's Observations become ONE device protocol message on
 * the device's readings topic, handed to the MessageRouter exactly as an MQTT message (same
 * validation, deduplication, dead letters, batching, commit, rules). The answer is sent once that
 * message is committed (its "PUBACK"). A transaction with a bad entry is turned into a message of
 * its bad samples only: they are recorded as rejections and nothing is stored.
 */
@Injectable()
export class FhirFeedService {
  private readonly logger = new Logger('FhirFeed');
  private readonly backfillHorizonMs: number;
  private readonly futureSkewMs: number;
  /** Failed device logins are throttled like professionals' logins (per device id and source). */
  private readonly limiter: LoginRateLimiter;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(FEED_DEVICE_CREDENTIALS) private readonly credentials: DeviceCredentialLookup,
    private readonly auth: AuthService,
    private readonly router: MessageRouter,
    @Inject(InflightBudget) private readonly budget: InflightBudget<unknown>,
    @Inject(FEED_DEVICE_CREATOR) private readonly creator: DeviceCreator | null,
    private readonly audit: AuditService,
    private readonly devices: DeviceCache,
  ) {
    this.limiter = new LoginRateLimiter({ ...config.auth.loginRateLimit, lockBaseSeconds: config.auth.loginLockBaseSeconds });
    this.backfillHorizonMs = config.ingest.backfillHorizonDays * 86_400_000;
    this.futureSkewMs = config.ingest.futureSkewSeconds * 1000;
  }

  /** `Authorization: Basic deviceId:secret` (the broker's own check) or `Bearer <admin token>`; else 401. */
  async authenticate(header: string | undefined, ip: string | undefined): Promise<FeedSender> {
    if (header?.startsWith('Bearer ')) {
      const principal = await this.auth.authenticate(header.slice(7), ip);
      if (principal.role !== 'admin') throw AppError.forbidden('inbound FHIR is for devices (gateways) and admins');
      return { kind: 'admin', principal };
    }
    if (header?.startsWith('Basic ')) {
      const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const deviceId = colon > 0 ? decoded.slice(0, colon) : '';
      const secret = colon > 0 ? decoded.slice(colon + 1) : '';
      const key = `device:${deviceId}`;
      const verdict = this.limiter.check(ip, key);
      if (!verdict.allowed) {
        await this.audit.record({ action: 'fhir.feed.login', actor: { ip }, targetType: 'device', targetId: deviceId.slice(0, 64), outcome: 'denied', details: { reason: 'rate-limited' } });
        throw verdict.scope === 'account'
          ? new AppError('ACCOUNT_LOCKED', 'device temporarily locked after repeated failures', { retryAfterSeconds: verdict.retryAfterSeconds })
          : new AppError('TOO_MANY_REQUESTS', 'too many failed device logins, try again later', { retryAfterSeconds: verdict.retryAfterSeconds });
      }
      const known = DEVICE_ID_PATTERN.test(deviceId) ? await this.credentials.find(deviceId) : undefined;
      if (await deviceSecretMatches(known, secret)) {
        this.limiter.success(ip, key);
        return { kind: 'device', deviceId, ip };
      }
      this.limiter.failure(ip, key);
      await this.audit.record({ action: 'fhir.feed.login', actor: { ip }, targetType: 'device', targetId: deviceId.slice(0, 64), outcome: 'denied', details: { reason: 'bad-credentials' } });
      throw new AppError('INVALID_CREDENTIALS', 'device id or secret is wrong');
    }
    throw new AppError('UNAUTHENTICATED', 'Basic device credentials or a bearer token are required');
  }

  async ingest(sender: FeedSender, text: string, now: Date): Promise<FeedAnswer> {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw new FeedError('invalid', 'the body is not JSON');
    }
    const read = readFeedBundle(doc);
    const { deviceId, created } = await this.deviceOf(sender, read);
    // The registration ingestion routes with (an unknown device: its message is recorded as unknown-device).
    const info = this.devices.peek(deviceId, now.getTime()) ?? (await this.devices.load(deviceId));
    const bundle = info ? checkSubjects(read, info.patientId) : read;
    const total = (doc as { entry: unknown[] }).entry.length;
    const payload = (samples: unknown[]) => Buffer.from(JSON.stringify({ v: 1, samples }), 'utf8');
    const all = payload(bundle.observations.map((o) => o.sample));
    const checked = parseReadingsPayload(all, { nowMs: now.getTime(), backfillHorizonMs: this.backfillHorizonMs, futureSkewMs: this.futureSkewMs });
    if (!checked.ok) throw new FeedError(checked.reason === 'payload-too-large' ? 'too-costly' : 'invalid', `${checked.reason}: ${checked.detail}`);
    const problems = entryProblems(bundle, checked.rejected);
    const record = (outcome: 'success' | 'denied') =>
      this.audit.record({
        action: 'fhir.feed.bundle',
        actor: sender.kind === 'admin' ? actorOf(sender.principal) : { role: 'device', ip: sender.ip },
        targetType: 'device',
        targetId: deviceId,
        outcome,
        details: { type: bundle.type, observations: bundle.observations.length, refusedEntries: problems.size },
      });
    if (bundle.type === 'transaction' && problems.size > 0) {
      // Atomic: nothing stored, the bad entries recorded as rejections through the same path.
      const bad = bundle.observations.filter((o) => problems.has(o.index)).map((o) => o.sample);
      await this.submit(deviceId, payload(bad), now);
      await record('denied');
      return { status: 400, body: transactionOutcome(problems) };
    }
    await this.submit(deviceId, all, now);
    await record('success');
    return { status: 200, body: responseBundle(bundle, total, problems, now, created) };
  }

  /**
   * The device the readings belong to: the sender itself, or (admin) the device the Bundle's Device
   * entry names, registered first if absent: for the patient of its `patient` reference, of the
   * kind of its PHD specialization, through the registry's own registration (audited, provisioned).
   */
  private async deviceOf(sender: FeedSender, bundle: FeedBundle): Promise<{ deviceId: string; created: boolean }> {
    if (sender.kind === 'device') {
      if (bundle.deviceId !== undefined && bundle.deviceId !== sender.deviceId) throw new FeedError('forbidden', 'a device may only send its own Device');
      return { deviceId: sender.deviceId, created: false };
    }
    const deviceId = bundle.deviceId;
    if (deviceId === undefined) throw new FeedError('invalid', "an admin's Bundle names its device in a Device entry");
    if (!DEVICE_ID_PATTERN.test(deviceId)) throw new FeedError('invalid', 'the Device identifier is not a valid device id (3–64 of A-Z a-z 0-9 _ -)');
    if ((await this.credentials.find(deviceId)) !== undefined || !this.creator) return { deviceId, created: false };
    const patientId = /^Patient\/([0-9a-f-]{36})$/i.exec(bundle.patientReference ?? '')?.[1];
    if (!patientId || !bundle.kind) {
      throw new FeedError('invalid', 'an unknown Device is created only with Device.patient (Patient/<id>) and a PHD specialization of a pulse oximeter (MDC 528388) or ventilator (528386)');
    }
    await this.creator.register(sender.principal, { deviceId, kind: bundle.kind, patientId });
    return { deviceId, created: true };
  }

  /** One message into the ingestion path; resolves once it is committed (data stored or rejections recorded). */
  private submit(deviceId: string, payload: Buffer, now: Date): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new AppError('SERVICE_UNAVAILABLE', 'the readings are not committed yet; retry (a replay stores nothing twice)')), COMMIT_WAIT_MS);
      timer.unref();
      const settle = () => {
        clearTimeout(timer);
        resolve();
      };
      const message = new InflightMessage({ settle }, 0, 0, readingsTopic(deviceId), payload, now.getTime(), performance.now(), payload.length);
      // The rules hand-over releases each message's weight from the budget: it is taken here, as the consumer does at arrival.
      this.budget.add(payload.length);
      this.logger.debug({ deviceId, bytes: payload.length }, 'inbound FHIR Bundle handed to ingestion');
      this.router.accept(message);
    });
  }
}
