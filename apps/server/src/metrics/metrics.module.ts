import { Controller, Get, Global, Header, Headers, Inject, Module } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { Public } from '../auth/decorators.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { checkMetricsAccess } from './metrics-access.js';

/** One Prometheus registry per process; feature modules register their own counters on it. */
export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');

@ApiExcludeController()
@Controller('metrics')
class MetricsController {
  constructor(
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Not a user's route (no access token): METRICS_TOKEN, or closed in production (metrics-access.ts). */
  @Public()
  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4')
  metrics(@Headers('authorization') authorization: string | undefined): Promise<string> {
    checkMetricsAccess(this.config.exposure, authorization);
    return this.registry.metrics();
  }
}

@Global()
@Module({
  controllers: [MetricsController],
  providers: [
    {
      provide: METRICS_REGISTRY,
      useFactory: () => {
        const registry = new Registry();
        collectDefaultMetrics({ register: registry, prefix: 'tm_' });
        return registry;
      },
    },
  ],
  exports: [METRICS_REGISTRY],
})
export class MetricsModule {}
