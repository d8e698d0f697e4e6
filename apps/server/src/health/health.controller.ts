import { Controller, Get, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { Pool } from 'pg';
import { Public } from '../auth/decorators.js';
import { PG_POOL } from '../database/database.module.js';
import { pendingMigrations } from '../database/migrator.js';
import { MIGRATIONS_DIR } from '../paths.js';
import { BrokerProbe } from './broker-probe.js';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly broker: BrokerProbe,
    @Inject(PG_POOL) private readonly pool: Pool,
  ) {}

  /** Readiness: 200 `{status: "ok"}` once the database and broker are reachable and migrations applied; 503 otherwise. */
  @Public()
  @Get()
  @HealthCheck()
  check() {
    return this.health.check([
      async () => {
        const db = this.indicator.check('database');
        try {
          const pending = await pendingMigrations(this.pool, MIGRATIONS_DIR);
          return pending.length === 0 ? db.up() : db.down({ pendingMigrations: pending.length });
        } catch {
          return db.down({ reachable: false });
        }
      },
      () => {
        const broker = this.indicator.check('broker');
        return this.broker.connected ? broker.up() : broker.down();
      },
    ]);
  }

  /** Liveness: the process answers. */
  @Public()
  @Get('live')
  live() {
    return { status: 'ok' };
  }
}
