import type pg from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { ALERT_ENTITIES } from '../../apps/server/src/alerts/alert.entities.js';
import { AuditLogEntity } from '../../apps/server/src/audit/audit-log.entity.js';
import { TransactionRunner } from '../../apps/server/src/database/transaction.js';
import { REGISTRY_ENTITIES } from '../../apps/server/src/registry/registry.entities.js';

/** A database "process" outside the Nest app: its own TypeORM data source, the pg pool under it, and a TransactionRunner on both. */
export interface StandaloneDatabase {
  dataSource: DataSource;
  pool: pg.Pool;
  transactions: TransactionRunner;
  close(): Promise<void>;
}

/** As DatabaseModule wires it (one pool: TypeORM's, also used for raw SQL), for tests that build repositories by hand. */
export async function standaloneDatabase(url: string, poolSize: number): Promise<StandaloneDatabase> {
  const dataSource = new DataSource({ type: 'postgres', url, poolSize, entities: [...REGISTRY_ENTITIES, ...ALERT_ENTITIES, AuditLogEntity], synchronize: false });
  await dataSource.initialize();
  const pool = (dataSource.driver as PostgresDriver).master as pg.Pool;
  return { dataSource, pool, transactions: new TransactionRunner(dataSource, pool), close: () => dataSource.destroy() };
}
