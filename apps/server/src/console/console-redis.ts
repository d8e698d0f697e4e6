import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import type { Server } from 'socket.io';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

const CONNECT_TIMEOUT_MS = 10000;

const newClient = (url: string) =>
  createClient({ url, socket: { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy: (n) => Math.min(100 * 2 ** n, 5000) } });
type RedisClient = ReturnType<typeof newClient>;

/**
 * With REDIS_URL set, the socket.io Redis adapter (pub + sub connections) so that an emit to a
 * room in one gateway process reaches the consoles connected to every other one. Without it,
 * a single gateway process serves all consoles and this does nothing.
 */
@Injectable()
export class ConsoleRedis implements OnApplicationShutdown {
  private readonly logger = new Logger('ConsoleRedis');
  private pub?: RedisClient;
  private sub?: RedisClient;
  private subReadyCount = 0;
  private onRestored?: () => void;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Injected through an async factory, so the connections are up before the gateway starts. */
  static async create(config: AppConfig): Promise<ConsoleRedis> {
    const redis = new ConsoleRedis(config);
    await redis.connect();
    return redis;
  }

  get enabled(): boolean {
    return this.pub !== undefined;
  }

  private async connect(): Promise<void> {
    const url = this.config.redisUrl;
    if (!url) return;
    const pub = newClient(url);
    const sub = newClient(url);
    for (const [name, client] of [['pub', pub], ['sub', sub]] as const) {
      // Without a listener an 'error' event would crash the process; the client reconnects by itself.
      client.on('error', (err: Error) => this.logger.warn({ err: { message: err.message }, client: name }, 'redis connection error'));
    }
    sub.on('ready', () => {
      // Subscriptions are restored by the client, but messages published while it was away are lost.
      if (this.subReadyCount++ > 0) {
        this.logger.log('redis subscription restored');
        this.onRestored?.();
      }
    });
    try {
      await withTimeout(Promise.all([pub.connect(), sub.connect()]), CONNECT_TIMEOUT_MS, 'redis connection timed out');
    } catch (err) {
      pub.destroy();
      sub.destroy();
      throw new Error(`REDIS_URL is set but Redis is unreachable: ${(err as Error).message}`, { cause: err });
    }
    this.pub = pub;
    this.sub = sub;
  }

  /** Installs the adapter on the socket.io server (every namespace is re-initialised with it). */
  attach(server: Server, onRestored: () => void): void {
    if (!this.pub || !this.sub) return;
    this.onRestored = onRestored;
    server.adapter(createAdapter(this.pub, this.sub, { key: `${this.config.redisKeyPrefix}:socket.io` }));
    this.logger.log('socket.io Redis adapter installed');
  }

  /** Runs after Nest closed the socket.io server (and with it the adapters' subscriptions). */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all(
      [this.pub, this.sub].map(async (c) => {
        if (!c) return;
        try {
          await c.close();
        } catch {
          c.destroy();
        }
      }),
    );
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
