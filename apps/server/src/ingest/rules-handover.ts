import { Inject, Injectable } from '@nestjs/common';
import { StoredReadingsHub } from '../events/event-hubs.js';
import type { StoredDeviceBatch } from '../events/stored-readings.js';
import { InflightBudget } from './inflight-budget.js';
import type { IngestBatch } from './ingest-batch.js';

interface Entry {
  stored: StoredDeviceBatch[][];
  done: boolean;
  weight: number;
  messages: number;
}

/**
 * Step 6 of ingestion (docs/ingestion.md): hands committed batches to the rules
 * (`StoredReadingsHub`) in seal order, so per device in arrival order, one at a time, after their
 * PUBACKs were sent; then frees their share of the in-flight budget. A reorder buffer waits for an
 * earlier batch still being retried. Slow rules hold the budget, never the acknowledgements.
 */
@Injectable()
export class RulesHandover {
  private readonly queue = new Map<number, Entry>();
  private nextSeq = 1;
  private busy = false;

  constructor(
    private readonly hub: StoredReadingsHub,
    @Inject(InflightBudget) private readonly budget: InflightBudget<unknown>,
  ) {}

  /** A (sub-)batch of sealed batch `batch.seq` is committed: keep what the rules receive of it. */
  collect(batch: IngestBatch): void {
    // Nobody listening (no rules in this process): nothing to sort or keep.
    if (this.hub.subscriberCount === 0) return;
    const stored = batch.storedBatches();
    if (stored.length > 0) this.entry(batch.seq).stored.push(stored);
  }

  /** Sealed batch `batch.seq` is fully committed: it may be handed over once those before it are. */
  finish(batch: IngestBatch): void {
    const entry = this.entry(batch.seq);
    entry.done = true;
    entry.weight = batch.weight;
    entry.messages = batch.messages.length;
    this.kick();
  }

  private kick(): void {
    if (this.busy) return;
    this.busy = true;
    void this.publishInOrder().finally(() => {
      this.busy = false;
      if (this.queue.get(this.nextSeq)?.done) this.kick();
    });
  }

  private async publishInOrder(): Promise<void> {
    for (;;) {
      const entry = this.queue.get(this.nextSeq);
      if (!entry?.done) return;
      this.queue.delete(this.nextSeq);
      this.nextSeq++;
      for (const stored of entry.stored) await this.hub.publish(stored);
      this.budget.release(entry.weight, entry.messages);
    }
  }

  private entry(seq: number): Entry {
    let entry = this.queue.get(seq);
    if (!entry) {
      entry = { stored: [], done: false, weight: 0, messages: 0 };
      this.queue.set(seq, entry);
    }
    return entry;
  }
}
