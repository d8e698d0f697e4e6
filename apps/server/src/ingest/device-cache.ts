import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { DeviceRegistryEvents } from '../events/device-registry-events.js';
import { backoff } from '../common/backoff.js';
import { IngestDeviceRepository, type DeviceInfo } from './ingest-device.repository.js';

interface Entry {
  /** null: no such device (cached too, so a flood from an unknown id costs no query per message). */
  info: DeviceInfo | null;
  loadedAt: number;
  usedAt: number;
}

/** Entries not used for this long are dropped at the next refresh. */
const EVICT_AFTER_MS = 60_000;
const REFRESH_CHUNK = 5000;

/**
 * deviceId → (patient, kind, active), so that routing a message costs no query. Entries are
 * trusted for `INGEST_DEVICE_CACHE_TTL_MS`; every TTL/2 the entries in use are re-read in bulk,
 * so a deactivation or re-assignment takes effect within TTL/2 without per-message lookups.
 * Misses are read in bulk too (all misses of one tick in one query) and retried with back-off
 * while the database is away (the messages wait, unacknowledged). A registration changed in this
 * process (DeviceRegistryEvents) is forgotten at once: a device registered just after its first
 * message was cached as unknown is accepted from its next message on.
 */
@Injectable()
export class DeviceCache implements OnModuleDestroy {
  private readonly logger = new Logger('DeviceCache');
  private readonly entries = new Map<string, Entry>();
  private readonly waiting = new Map<string, { promise: Promise<DeviceInfo | null>; resolve: (info: DeviceInfo | null) => void }>();
  private loadScheduled = false;
  private refreshTimer: NodeJS.Timeout | undefined;
  private destroyed = false;
  private readonly ttlMs: number;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly repository: IngestDeviceRepository,
    @Inject(APP_CONFIG) config: AppConfig,
    registryEvents: DeviceRegistryEvents,
  ) {
    this.ttlMs = config.ingest.deviceCacheTtlMs;
    this.unsubscribe = registryEvents.subscribe(async (event) => this.invalidate(event.deviceId));
  }

  /** Starts the periodic refresh (ingestion calls it when it starts consuming). */
  start(): void {
    if (this.refreshTimer || this.destroyed) return;
    this.refreshTimer = setInterval(() => void this.refresh(), Math.max(50, Math.floor(this.ttlMs / 2)));
    this.refreshTimer.unref();
  }

  /** A fresh entry (null: known not to exist), or undefined when it must be loaded. */
  peek(deviceId: string, now: number): DeviceInfo | null | undefined {
    const entry = this.entries.get(deviceId);
    if (entry === undefined || now - entry.loadedAt >= this.ttlMs) return undefined;
    entry.usedAt = now;
    return entry.info;
  }

  /** Reads the device (with every other miss of this tick); never rejects, retries until it can. */
  load(deviceId: string): Promise<DeviceInfo | null> {
    const waiting = this.waiting.get(deviceId);
    if (waiting) return waiting.promise;
    let resolve!: (info: DeviceInfo | null) => void;
    const promise = new Promise<DeviceInfo | null>((r) => (resolve = r));
    this.waiting.set(deviceId, { promise, resolve });
    if (!this.loadScheduled) {
      this.loadScheduled = true;
      setImmediate(() => void this.loadWaiting(1));
    }
    return promise;
  }

  /** Forgets a device now (registry changes in this process); other processes see it after TTL/2. */
  invalidate(deviceId: string): void {
    this.entries.delete(deviceId);
  }

  onModuleDestroy(): void {
    this.destroyed = true;
    this.unsubscribe();
    clearInterval(this.refreshTimer);
  }

  private async loadWaiting(attempt: number): Promise<void> {
    if (this.destroyed) return;
    const ids = [...this.waiting.keys()];
    try {
      const found = await this.read(ids);
      this.loadScheduled = false;
      for (const id of ids) {
        const waiting = this.waiting.get(id)!;
        this.waiting.delete(id);
        waiting.resolve(found.get(id) ?? null);
      }
      // Misses that arrived during the query.
      if (this.waiting.size > 0 && !this.loadScheduled) {
        this.loadScheduled = true;
        setImmediate(() => void this.loadWaiting(1));
      }
    } catch (err) {
      const delay = backoff(attempt, 200, 5000);
      if (attempt === 1 || attempt % 10 === 0) {
        this.logger.warn(`device lookup failed (attempt ${attempt}), retrying in ${delay} ms: ${(err as Error).message}`);
      }
      setTimeout(() => void this.loadWaiting(attempt + 1), delay).unref();
    }
  }

  private async refresh(): Promise<void> {
    const now = Date.now();
    const ids: string[] = [];
    for (const [id, entry] of this.entries) {
      if (now - entry.usedAt > EVICT_AFTER_MS) this.entries.delete(id);
      else ids.push(id);
    }
    try {
      for (let i = 0; i < ids.length; i += REFRESH_CHUNK) await this.read(ids.slice(i, i + REFRESH_CHUNK));
    } catch {
      // Entries age out and become misses, which retry on their own.
    }
  }

  /** Reads ids and stores an entry for each (null for the unknown ones). */
  private async read(ids: string[]): Promise<Map<string, DeviceInfo>> {
    const rows = await this.repository.findByIds(ids);
    const found = new Map(rows.map((r) => [r.deviceId, r]));
    const loadedAt = Date.now();
    for (const id of ids) {
      const previous = this.entries.get(id);
      this.entries.set(id, { info: found.get(id) ?? null, loadedAt, usedAt: previous?.usedAt ?? loadedAt });
    }
    return found;
  }
}
