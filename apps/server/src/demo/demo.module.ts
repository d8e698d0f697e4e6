import { Inject, Injectable, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { DemoSeedRepository } from './demo-seed.repository.js';
import { EpisodesModule } from '../episodes/episodes.module.js';
import { EpisodesService } from '../episodes/episodes.service.js';
import { DemoSeedService, type DemoSeedResult } from './demo-seed.service.js';
import { DemoSimulatorLauncher } from './demo-simulator.launcher.js';

/** Seeds the demo at start, prints its credentials and console address, starts the simulator. */
@Injectable()
class DemoRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Demo');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly seeder: DemoSeedService,
    private readonly simulator: DemoSimulatorLauncher,
    private readonly adapterHost: HttpAdapterHost,
    private readonly episodes: EpisodesService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const seeded = await this.seeder.seed();
    await this.episodes.seedActive([...new Set(seeded.devices.map((d) => d.patientId))]);
    // Printed once the HTTP server listens (the address carries the real port), a moment after the
    // start-up logs are flushed so that it is the last thing on the screen.
    const server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    const print = () => setTimeout(() => this.show(banner(seeded, this.consoleUrl(server))), 300).unref();
    if (server.listening) print();
    else server.once('listening', print);
    if (this.config.demoSimulator) {
      await this.simulator.start({ mqttUrl: this.config.mqtt.url!, devices: seeded.devices });
    } else {
      this.logger.log('demo simulator disabled (DEMO_SIMULATOR=false)');
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.simulator.stop();
  }

  /** As it is for people; as one log entry when the logs are JSON, so that stdout stays JSON only. */
  private show(text: string): void {
    if (this.config.logFormat === 'json') this.logger.log(text);
    else process.stdout.write(text);
  }

  private consoleUrl(server: Server): string {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : this.config.http.port;
    return `http://localhost:${port}/console`;
  }
}

function banner(seeded: DemoSeedResult, consoleUrl: string): string {
  const width = Math.max(...seeded.credentials.map((c) => c.username.length));
  const lines = [
    '',
    '──────────────────────────────────────────────────────────────────────',
    `  Demo mode. Nurse console: ${consoleUrl}`,
    '  Sign in with (passwords are new at every start; only their hashes are stored):',
    ...seeded.credentials.map((c) => `    ${c.username.padEnd(width)}  ${c.password}   (${c.role})`),
    `  ${seeded.devices.length} demo devices publish scenario readings; alerts appear within a minute.`,
    '──────────────────────────────────────────────────────────────────────',
    '',
  ];
  return lines.join('\n');
}

/** Demo data and simulator in demo mode (CONTRACT.md §5; loaded by AppModule when config.demo && api role). */
@Module({ imports: [EpisodesModule], providers: [DemoSeedRepository, DemoSeedService, DemoSimulatorLauncher, DemoRunner] })
export class DemoModule {}
