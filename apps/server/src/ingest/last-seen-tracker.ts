import { Injectable } from '@nestjs/common';
import { IngestDeviceRepository } from './ingest-device.repository.js';

const LAST_SEEN_FLUSH_MS = 1000;

/**
 * `devices.last_seen_at`, off the hot path: committed batches note their devices' newest receive
 * time here, and once a second all of them are written in one statement, outside the batch
 * statement (no lock contention between the writers on `devices`). A failed write keeps the times
 * for the next flush.
 */
@Injectable()
export class LastSeenTracker {
  private pending = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly devices: IngestDeviceRepository) {}

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), LAST_SEEN_FLUSH_MS);
  }

  /** Stops the timer and writes what is pending (shutdown). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** Keeps the newest time per device. */
  note(lastSeen: ReadonlyMap<string, number>): void {
    for (const [deviceId, at] of lastSeen) {
      const seen = this.pending.get(deviceId);
      if (seen === undefined || seen < at) this.pending.set(deviceId, at);
    }
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const pending = this.pending;
    this.pending = new Map();
    try {
      await this.devices.touchLastSeen(pending);
    } catch {
      this.note(pending);
    }
  }
}
