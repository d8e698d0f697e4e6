import { Injectable, Logger } from '@nestjs/common';
import { startDemoSimulation, type DemoSimulation } from '#devices-sim';
import type { DemoDevice } from './demo-data.js';

export interface DemoSimulatorOptions {
  mqttUrl: string;
  devices: DemoDevice[];
}

/**
 * Starts the device simulator (devices-sim) in demo mode: each seeded demo device connects with
 * its own credentials, uploads a short history, then plays its scenario live, placed so that the
 * acute alerts come within the first minute. DemoModule calls start() once the demo data is
 * seeded, and stop() at shutdown.
 */
@Injectable()
export class DemoSimulatorLauncher {
  private readonly logger = new Logger('DemoSimulator');
  private simulation?: DemoSimulation;

  async start(options: DemoSimulatorOptions): Promise<void> {
    this.simulation = startDemoSimulation({
      mqttUrl: options.mqttUrl,
      devices: options.devices.map((d) => ({
        deviceId: d.deviceId,
        secret: d.secret,
        kind: d.kind,
        scenario: d.scenario,
        patientId: d.patientId,
        profile: d.profile,
      })),
      log: (message) => this.logger.log(message),
    });
    this.simulation.done.catch((err: unknown) => this.logger.error({ err }, 'demo simulation stopped with an error'));
  }

  async stop(): Promise<void> {
    await this.simulation?.stop();
    this.simulation = undefined;
  }
}
