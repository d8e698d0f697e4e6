/** The gauges the budget keeps up to date (IngestMetrics' in production, prom-client Gauges). */
export interface InflightGauges {
  readonly inflightBytes: { set(value: number): void };
  readonly inflightBytesMax: { set(value: number): void };
  readonly inflightMessages: { set(value: number): void };
  readonly pausedConnections: { inc(): void; dec(): void };
}

/**
 * The in-flight byte budget of ingestion and the pause/resume of the connections it implies
 * (pure: no broker, no timers; MqttConsumer does the I/O).
 *
 * A message's weight counts from its arrival (`add`) until it is fully processed (`release`:
 * committed, acknowledged and handed to the rules). After each arrival the source (a broker
 * connection) is let to read its next packet at once (`admit` calls `next`) unless the budget
 * is used up or intake is paused: then `next` is held, so mqtt.js stops reading that socket and
 * the broker keeps the rest. Held sources are resumed, oldest first, as soon as the budget frees,
 * each only while the budget is still not used up (a resumed source may take the next message
 * synchronously and use it up again).
 *
 * Bound: a source reads a new message only after a check that found the budget not used up, and
 * reads exactly one before its next check; so the held bytes never exceed
 * `maxBytes + sources × (largest message weight)`.
 */
export class InflightBudget<Source> {
  private bytesHeld = 0;
  private messagesHeld = 0;
  private peak = 0;
  private intakePaused = false;
  /** Held `next` callbacks, one per source at most, in the order they were held. */
  private readonly held = new Map<Source, () => void>();

  constructor(
    readonly maxBytes: number,
    private readonly gauges: InflightGauges,
    /** Called for a held source just before its callback is released. */
    private readonly onResume: (source: Source) => void = () => undefined,
  ) {}

  get bytes(): number {
    return this.bytesHeld;
  }

  get messages(): number {
    return this.messagesHeld;
  }

  /** The highest `bytes` seen since start. */
  get peakBytes(): number {
    return this.peak;
  }

  /** Sources currently held. */
  get heldCount(): number {
    return this.held.size;
  }

  isHeld(source: Source): boolean {
    return this.held.has(source);
  }

  /** Over budget, or paused (shutdown): arriving messages hold their source. */
  get blocked(): boolean {
    return this.intakePaused || this.bytesHeld > this.maxBytes;
  }

  /** A message arrived: its weight counts from now. */
  add(weight: number): void {
    this.bytesHeld += weight;
    this.messagesHeld++;
    if (this.bytesHeld > this.peak) {
      this.peak = this.bytesHeld;
      this.gauges.inflightBytesMax.set(this.peak);
    }
    this.publish();
  }

  /**
   * After a message of `source` was added and handed on: `next` lets the source read its next
   * packet; called now, or held until the budget frees.
   */
  admit(source: Source, next: () => void): void {
    if (!this.blocked) return next();
    if (!this.held.has(source)) this.gauges.pausedConnections.inc();
    this.held.set(source, next);
  }

  /** Messages fully processed: their weight is free; held sources resume while the budget allows. */
  release(weight: number, messages: number): void {
    this.bytesHeld -= weight;
    this.messagesHeld -= messages;
    this.publish();
    if (this.bytesHeld > this.maxBytes) return;
    for (const [source, next] of [...this.held]) {
      // A callback released before may have taken a message that used the budget up again,
      // or closed another source.
      if (this.blocked) return;
      if (this.held.get(source) !== next) continue;
      this.held.delete(source);
      this.gauges.pausedConnections.dec();
      this.onResume(source);
      next();
    }
  }

  /** The source is gone (connection closed): its held callback is dropped with its parser. */
  drop(source: Source): void {
    if (this.held.delete(source)) this.gauges.pausedConnections.dec();
  }

  /** Stops intake for good (shutdown): every arriving message holds its source from now on. */
  pause(): void {
    this.intakePaused = true;
  }

  private publish(): void {
    this.gauges.inflightBytes.set(this.bytesHeld);
    this.gauges.inflightMessages.set(this.messagesHeld);
  }
}
