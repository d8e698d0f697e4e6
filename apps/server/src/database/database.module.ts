import { Global, Inject, Injectable, Logger, Module, OnApplicationBootstrap } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type pg from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { PG_POOL, productConnectionString, resilientPg } from './database-pool.js';
import { TransactionRunner } from './transaction.js';

export { createPool, PG_POOL } from './database-pool.js';

/**
 * Says at start, loudly, when the audit log is not append-only for the role the application runs
 * as (a superuser, the tables' owner, or a role granted UPDATE/DELETE/TRUNCATE on audit_log): only
 * the trigger then protects it, and that role could drop the trigger (docs/security.md).
 */
@Injectable()
export class AuditRoleCheck implements OnApplicationBootstrap {
  private readonly logger = new Logger('Database');

  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    // In the background: a database that is not reachable yet must not hold the start.
    void this.check();
  }

  private async check(): Promise<void> {
    const role = await auditLogRole(this.pool).catch(() => undefined);
    if (!role || role.appendOnly) return;
    const message = `audit_log is not append-only for the database role "${role.role}" the application runs as: connect as a member of telemonitoring_app that owns nothing, or set DATABASE_APP_ROLE (docs/security.md)`;
    if (this.config.demo) this.logger.log(message);
    else this.logger.warn(message);
  }
}

/** Whether the current role could change or empty audit_log (undefined before the migrations). */
export async function auditLogRole(pool: Pick<pg.Pool, 'query'>): Promise<{ role: string; appendOnly: boolean } | undefined> {
  const { rows } = await pool.query<{ role: string; writable: boolean | null }>(
    `SELECT current_user AS role,
            CASE WHEN to_regclass('audit_log') IS NULL THEN NULL ELSE
              has_table_privilege('audit_log', 'UPDATE') OR has_table_privilege('audit_log', 'DELETE')
              OR has_table_privilege('audit_log', 'TRUNCATE')
              OR pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = to_regclass('audit_log')), 'USAGE')
            END AS writable`,
  );
  const row = rows[0];
  return row && row.writable !== null ? { role: row.role, appendOnly: !row.writable } : undefined;
}

/**
 * One connection pool, two ways to use it: TypeORM for the relational entities (each feature
 * module registers its own with TypeOrmModule.forFeature) and `pg` (PG_POOL) for the time series
 * and hand-tuned SQL. PG_POOL *is* TypeORM's pool, so the process holds one set of connections,
 * sized by DB_POOL_SIZE, and a transaction (TransactionRunner) spans both (docs/database.md).
 */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        type: 'postgres' as const,
        url: productConnectionString(config.database.url!),
        driver: resilientPg,
        autoLoadEntities: true,
        // The SQL migrations (migrations/, database/migrator.ts) are the one source of the schema.
        synchronize: false,
        migrationsRun: false,
        poolSize: config.database.poolSize,
        applicationName: 'telemonitoring',
        poolErrorHandler: () => undefined,
      }),
    }),
  ],
  providers: [
    {
      provide: PG_POOL,
      inject: [DataSource],
      // TypeORM closes it when the application shuts down (after every beforeApplicationShutdown).
      useFactory: (dataSource: DataSource) => (dataSource.driver as PostgresDriver).master as pg.Pool,
    },
    TransactionRunner,
    AuditRoleCheck,
  ],
  exports: [PG_POOL, TransactionRunner],
})
export class DatabaseModule {}
