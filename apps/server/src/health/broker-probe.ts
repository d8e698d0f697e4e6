import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import mqtt, { type MqttClient } from 'mqtt';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

/** A lightweight connection to the broker whose only job is to say whether it is reachable. */
@Injectable()
export class BrokerProbe implements OnModuleInit, OnApplicationShutdown {
  private client?: MqttClient;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  onModuleInit(): void {
    this.client = mqtt.connect(this.config.mqtt.url!, {
      clientId: `tm-health-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
      username: this.config.mqtt.username,
      password: this.config.mqtt.password,
      clean: true,
      reconnectPeriod: 2000,
      // mqtt.js gives up after a refused CONNACK otherwise: at a first start the backend creates
      // its own broker identity (MQTT_USERNAME) only after this probe first tried it.
      reconnectOnConnackError: true,
      connectTimeout: 5000,
    });
    this.client.on('error', () => undefined); // state is read from `connected`
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client?.endAsync(true).catch(() => undefined);
  }
}
