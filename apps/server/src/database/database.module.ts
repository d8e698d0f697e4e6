import { Global, Inject, Injectable, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import pg from 'pg';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { withSessionSettings } from '../config/database-url.js';

/** Injection token of the shared `pg` pool used for the time series and hand-written SQL. */
export const PG_POOL = Symbol('PG_POOL');

// Return bigint ids (alerts, events) as strings and timestamps as Date: the defaults of pg,
// stated here so that nobody changes them by accident. numeric/int8 stay strings.

export function createPool(url: string, max: number, applicationName: string): pg.Pool {
  // JIT compilation costs more than it saves on these short OLTP and trend queries (measured:
  // 2.6 s of a 3.5 s raw-bucket query was JIT).
  // In the URL, not as `options`: pg lets the URL's own options (DATABASE_APP_ROLE's role) win.
  const pool = new pg.Pool({ connectionString: withSessionSettings(url, { jit: 'off' }), max, application_name: applicationName });
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
    AuditRoleCheck,
  ],
  exports: [PG_POOL],
})
export class DatabaseModule {}
