import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, type HealthCheckResult } from '@nestjs/terminus';
import type { Pool } from 'pg';
import { Public } from '../auth/decorators.js';
import { AppError } from '../common/app-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
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
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Readiness: 200 `{status: "ok"}` once the database and broker are reachable and migrations
   * applied; 503 otherwise, naming what is down (SERVICE_UNAVAILABLE, details per component).
   * A broker the start-up check found insecure (MQTT_INSECURE=true, or outside production) is
   * flagged `insecure: true` in its component; the details are in the log (docs/security.md).
   */
  @Public()
  @Get()
  @ApiServiceUnavailableResponse({
    description: 'Not ready: `{ error: { code: "SERVICE_UNAVAILABLE", message: "not ready: database down", details: { database: { status: "down", … }, broker: { status: "up" } } } }`',
  })
  @HealthCheck()
  async check() {
    try {
      return await this.checkAll();
    } catch (err) {
      // Terminus's 503 carries which component is down; the one error format keeps it in details.
      if (!(err instanceof ServiceUnavailableException)) throw err;
      const { details } = err.getResponse() as HealthCheckResult;
      const down = Object.keys(details).filter((name) => details[name]?.status !== 'up');
      throw new AppError('SERVICE_UNAVAILABLE', `not ready: ${down.join(', ')} down`, details);
    }
  }

  private checkAll(): Promise<HealthCheckResult> {
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
        const flag = this.config.brokerSecurity?.problems.length ? { insecure: true } : undefined;
        return this.broker.connected ? broker.up(flag) : broker.down(flag);
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
