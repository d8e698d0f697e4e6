import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import type { IsolationLevel } from 'typeorm/driver/types/IsolationLevel.js';
import { PG_POOL } from './database-pool.js';

/** A pool or one connection (inside a transaction): hand-written SQL runs on either. */
export type Queryable = Pick<Pool, 'query'> | PoolClient;

/**
 * One database transaction as both halves of the code see it: TypeORM repositories use `manager`,
 * the hand-written SQL of the hot paths uses `sql`. Both are the same connection, so a write through
 * one and a write through the other commit or roll back together.
 */
export interface Tx {
  readonly manager: EntityManager;
  readonly sql: PoolClient;
}

export interface TransactionOptions {
  isolation?: IsolationLevel;
  /** `SET TRANSACTION READ ONLY`: the database refuses any write inside it. */
  readOnly?: boolean;
}

/**
 * The one way to open a transaction (TypeORM's, so that entities and SQL share it). Rolls back on
 * any error and rethrows it unchanged; the connection goes back to the shared pool either way.
 */
@Injectable()
export class TransactionRunner {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(PG_POOL) readonly pool: Pool,
  ) {}

  run<T>(work: (tx: Tx) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const body = async (manager: EntityManager) => {
      if (options.readOnly) await manager.query('SET TRANSACTION READ ONLY');
      return work({ manager, sql: connectionOf(manager) });
    };
    return options.isolation ? this.dataSource.transaction(options.isolation, body) : this.dataSource.transaction(body);
  }

  /** Outside any transaction: TypeORM's default manager (each statement commits alone). */
  get manager(): EntityManager {
    return this.dataSource.manager;
  }
}

/** The pg connection under a transactional EntityManager (TypeORM's PostgresQueryRunner holds it). */
function connectionOf(manager: EntityManager): PoolClient {
  const connection = (manager.queryRunner as { databaseConnection?: PoolClient } | undefined)?.databaseConnection;
  if (!connection) throw new Error('the transaction has no database connection');
  return connection;
}
