import { DynamicModule, Module, type Type } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import type { Logger as PinoLogger } from 'pino';
import { randomUUID } from 'node:crypto';
import { AccessModule } from './access/access.module.js';
import { AlertsApiModule } from './alerts/alerts-api.module.js';
import { AlertsModule } from './alerts/alerts.module.js';
import { AuditModule } from './audit/audit.module.js';
import { AuthModule } from './auth/auth.module.js';
import { BrokerAuthModule } from './broker-auth/broker-auth.module.js';
import { ClinicalModule } from './clinical/clinical.module.js';
import { AllExceptionsFilter } from './common/all-exceptions.filter.js';
import { createAppLogger } from './common/app-logger.js';
import { InputGuardInterceptor } from './common/input-guard.interceptor.js';
import { redactUrl } from './common/log-redaction.js';
import { APP_CONFIG, type AppConfig, type ProcessRole } from './config/app-config.js';
import { AlertRelayModule } from './console/alert-relay.module.js';
import { ConsoleModule } from './console/console.module.js';
import { DatabaseModule } from './database/database.module.js';
import { DemoModule } from './demo/demo.module.js';
import { EmqxHooksModule } from './emqx/emqx-hooks.module.js';
import { EpisodesModule } from './episodes/episodes.module.js';
import { EventHubsModule } from './events/event-hubs.js';
import { FhirFeedModule } from './fhir/feed/fhir-feed.module.js';
import { FhirModule } from './fhir/fhir.module.js';
import { HealthModule } from './health/health.module.js';
import { IngestModule } from './ingest/ingest.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { OverviewModule } from './overview/overview.module.js';
import { RegistryModule } from './registry/registry.module.js';
import { ReportsModule } from './reports/reports.module.js';
import { SchedulerModule } from './scheduler/scheduler.module.js';


/** Which feature modules each process role runs. One process can hold all roles (see docs/architecture.md). */
const ROLE_MODULES: Record<ProcessRole, Type[]> = {
  // OverviewModule first: its GET /api/patients/overview before the registry's /api/patients/:id.
  api: [OverviewModule, RegistryModule, AlertsModule, AlertsApiModule, ConsoleModule, ClinicalModule, FhirModule, BrokerAuthModule, EpisodesModule, ReportsModule],
  ingest: [IngestModule, AlertsModule],
  scheduler: [SchedulerModule, AlertsModule],
};

@Module({})
export class AppModule {
  /** `logger`: the process's logger (bootstrap.ts); one is made from the configuration if absent. */
  static register(config: AppConfig, logger: PinoLogger = createAppLogger(config)): DynamicModule {
    const features = new Set<Type>();
    for (const role of config.roles) for (const m of ROLE_MODULES[role]) features.add(m);
    if (config.demo && config.roles.includes('api')) features.add(DemoModule);
    if (config.emqxHooks && config.roles.includes('api')) features.add(EmqxHooksModule);
    // Without the console gateway in this process, relay committed alert events to the gateways.
    if (!config.roles.includes('api')) features.add(AlertRelayModule);
    // Inbound FHIR feeds the ingestion of its process; it creates absent devices where the registry runs (fhir/feed).
    const feed = config.roles.includes('ingest') ? [FhirFeedModule.register({ registry: config.roles.includes('api') })] : [];
    return {
      module: AppModule,
      global: true,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            // Its level, redaction and output format: every log line of the process is that logger's.
            logger,
            genReqId: (req) => (req.headers['x-correlation-id'] as string | undefined) ?? randomUUID(),
            autoLogging: { ignore: (req) => req.url === '/health' || req.url === '/metrics' },
            // Paths carry pseudonymous ids only; query values are redacted but for a safe list (log-redaction.ts).
            serializers: { req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: redactUrl(req.url) }) },
          },
        }),
        DatabaseModule,
        EventHubsModule,
        MetricsModule,
        AuditModule,
        AuthModule,
        AccessModule,
        HealthModule,
        ...features,
        ...feed,
      ],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        { provide: APP_INTERCEPTOR, useClass: InputGuardInterceptor },
      ],
      exports: [APP_CONFIG],
    };
  }
}
