import type { Logger } from '@nestjs/common';

export type Handler<T> = (event: T) => Promise<void>;

/**
 * In-process hand-over points between modules, so that ingestion does not import the rules and
 * the rules do not import the console. Handlers run in registration order and are awaited, so a
 * publisher can keep per-device order; a failing handler is logged and does not stop the others.
 */
export class Hub<T> {
  private readonly handlers: Handler<T>[] = [];
  constructor(private readonly logger: Logger) {}

  subscribe(handler: Handler<T>): () => void {
    this.handlers.push(handler);
    return () => {
      const i = this.handlers.indexOf(handler);
      if (i >= 0) this.handlers.splice(i, 1);
    };
  }

  get subscriberCount(): number {
    return this.handlers.length;
  }

  async publish(event: T): Promise<void> {
    for (const handler of this.handlers) {
      try {
        await handler(event);
      } catch (err) {
        this.logger.error({ err }, 'event handler failed');
      }
    }
  }
}
