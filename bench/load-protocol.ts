/** Messages between the bench (main thread) and its load worker (bench/load-worker.ts). */

export interface LoadWorkerInput {
  mqttUrl: string;
  deviceIds: string[];
  /** Devices whose publishes are reported one by one (store latency). */
  watchedDeviceIds: string[];
  ratePerDevice: number;
  samplesPerMessage: number;
  /** Spacing of a device's samples (1000: 1 Hz, on a clock that runs faster than the wall clock). */
  sampleIntervalMs: number;
  durationMs: number;
  /** A device with this many unacknowledged messages skips its turn (counted). */
  maxInflightPerDevice: number;
  drainTimeoutMs: number;
  seed: number;
}

/** One publish of a watched device: its newest sample's time and when it was handed to MQTT. */
export interface PublishMark {
  deviceId: string;
  markerAt: number;
  publishedAt: number;
  ackedAt: number | null;
}

export interface LoadProgressMessage {
  type: 'progress';
  elapsedMs: number;
  sentMessages: number;
  ackedMessages: number;
  sentReadings: number;
}

export interface LoadSummary {
  devices: number;
  connected: number;
  durationMs: number;
  /** Wall clock of the first publish (epoch ms). */
  startedAt: number;
  sentMessages: number;
  ackedMessages: number;
  failedMessages: number;
  unackedAtEnd: number;
  skippedMessages: number;
  sentSamples: number;
  /** Readings (one metric value at one time) in the messages the broker acknowledged. */
  ackedReadings: number;
  sentReadings: number;
  bytesSent: number;
  /** Device PUBACK (from the broker) latency, ms. */
  ackLatencyMs: { p50: number | null; p99: number | null };
  errors: string[];
}

export type LoadWorkerMessage =
  | LoadProgressMessage
  | { type: 'marks'; marks: PublishMark[] }
  | { type: 'started'; connected: number; startedAt: number }
  | { type: 'done'; summary: LoadSummary }
  | { type: 'error'; message: string };
