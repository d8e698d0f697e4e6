import { Aedes, type AedesOptions } from 'aedes';
import { createServer, type Server } from 'node:net';

/**
 * The embedded MQTT broker of the demo (npm aedes, MQTT 3.1.1). It has no shared subscriptions:
 * ingestion falls back to one plain subscription on it. Device authentication hooks can be
 * passed in (see docs/security.md).
 */
export async function startEmbeddedBroker(options: {
  port: number;
  host?: string;
  hooks?: Pick<AedesOptions, 'authenticate' | 'authorizePublish' | 'authorizeSubscribe'>;
}): Promise<{ url: string; broker: Aedes; stop: () => Promise<void> }> {
  const broker = await Aedes.createBroker({ ...options.hooks });
  const server: Server = createServer(broker.handle);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolveListen());
  });
  return {
    url: `mqtt://${host}:${options.port}`,
    broker,
    stop: () =>
      new Promise<void>((done) => {
        server.close(() => broker.close(() => done()));
      }),
  };
}
