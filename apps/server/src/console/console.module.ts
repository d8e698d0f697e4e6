import { Module } from '@nestjs/common';
import { AlertsModule } from '../alerts/alerts.module.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { AlertRelayListener } from './alert-relay.listener.js';
import { ConsolePageController } from './console-page.controller.js';
import { ConsoleRedis } from './console-redis.js';
import { ConsoleGateway } from './console.gateway.js';
import { ConsoleRepository } from './console.repository.js';

/** Nurse console gateway on socket.io /console and the static console page (issue 4, docs/console.md). */
@Module({
  imports: [AlertsModule],
  controllers: [ConsolePageController],
  providers: [
    ConsoleGateway,
    ConsoleRepository,
    AlertRelayListener,
    { provide: ConsoleRedis, inject: [APP_CONFIG], useFactory: (config: AppConfig) => ConsoleRedis.create(config) },
  ],
})
export class ConsoleModule {}
