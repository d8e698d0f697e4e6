import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import pg from 'pg';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

/** Injection token of the shared `pg` pool used for the time series and hand-written SQL. */
export const PG_POOL = Symbol('PG_POOL');

// Return bigint ids (alerts, events) as strings and timestamps as Date: the defaults of pg,
// stated here so that nobody changes them by accident. numeric/int8 stay strings.

export function createPool(url: string, max: number, applicationName: string): pg.Pool {
  // JIT compilation costs more than it saves on these short OLTP and trend queries (measured:
  // 2.6 s of a 3.5 s raw-bucket query was JIT).
  const pool = new pg.Pool({ connectionString: url, max, application_name: applicationName, options: '-c jit=off' });
  // An idle client that loses its connection (database restart) must not crash the process.
  pool.on('error', () => undefined);
  // ... nor one killed while checked out between two queries (its next query fails instead).
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

@Injectable()
class PoolCloser implements OnApplicationShutdown {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}
  async onApplicationShutdown(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}

/**
 * Two ways to the same database: `pg` (PG_POOL) for readings and hand-tuned SQL, TypeORM for the
 * relational entities (each feature module registers its own with TypeOrmModule.forFeature).
 */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        type: 'postgres' as const,
        url: config.database.url,
        autoLoadEntities: true,
        synchronize: false,
        migrationsRun: false,
        poolSize: Math.max(2, Math.ceil(config.database.poolSize / 2)),
        applicationName: 'telemonitoring-typeorm',
      }),
    }),
  ],
  providers: [
    {
      provide: PG_POOL,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => createPool(config.database.url!, config.database.poolSize, 'telemonitoring'),
    },
    PoolCloser,
  ],
  exports: [PG_POOL],
})
export class DatabaseModule {}
