import { parentPort, workerData } from 'node:worker_threads';
import { runLoad, type LoadRecord } from '#devices-sim';
import { READINGS_PER_SAMPLE } from './bench-options.js';
import type { LoadSummary, LoadWorkerInput, LoadWorkerMessage, PublishMark } from './load-protocol.js';

/**
 * The bench's load: devices-sim's load mode (runLoad: N simulated oximeters, one MQTT connection
 * each, QoS 1 messages of K samples at a fixed total rate, open loop), in a worker thread of its
 * own so that publishing never delays the main thread's measurements (pollers, console client).
 * Publishes of the watched devices are reported one by one for the store latency.
 */
const input = workerData as LoadWorkerInput;
const post = (m: LoadWorkerMessage) => parentPort!.postMessage(m);

async function main(): Promise<void> {
  const watched = new Set(input.watchedDeviceIds);
  const abort = new AbortController();
  parentPort!.on('message', (m: { type: string }) => {
    if (m.type === 'stop') abort.abort();
  });
  let marks: PublishMark[] = [];
  let startedPosted = false;
  const flush = () => {
    if (marks.length === 0) return;
    post({ type: 'marks', marks });
    marks = [];
  };
  const summary = await runLoad({
    mqttUrl: input.mqttUrl,
    devices: input.deviceIds.map((deviceId) => ({ deviceId })),
    ratePerDevice: input.ratePerDevice,
    samplesPerMessage: input.samplesPerMessage,
    // 1 Hz oximeter samples: each connection uploads on a compressed clock (see LoadOptions).
    sampleIntervalMs: input.sampleIntervalMs > 0 ? input.sampleIntervalMs : undefined,
    durationMs: input.durationMs,
    maxInflightPerDevice: input.maxInflightPerDevice,
    drainTimeoutMs: input.drainTimeoutMs,
    seed: input.seed,
    progressEveryMs: 1000,
    signal: abort.signal,
    onProgress: (p) => {
      if (!startedPosted) {
        // runLoad reports progress once publishing runs: the start is one interval earlier.
        startedPosted = true;
        post({ type: 'started', connected: p.connected, startedAt: Date.now() - p.elapsedMs });
      }
      post({ type: 'progress', elapsedMs: p.elapsedMs, sentMessages: p.sent, ackedMessages: p.acknowledged, sentReadings: 0 });
      flush();
    },
    onRecord: (r: LoadRecord) => {
      if (watched.has(r.deviceId) && r.topic.endsWith('/readings')) {
        marks.push({ deviceId: r.deviceId, markerAt: r.markerAt, publishedAt: r.publishedAt, ackedAt: r.ackedAt ?? null });
      }
    },
  });
  flush();
  const result: LoadSummary = {
    devices: summary.devices,
    connected: summary.connected,
    durationMs: summary.durationMs,
    startedAt: Date.parse(summary.startedAt),
    sentMessages: summary.sent,
    ackedMessages: summary.acknowledged,
    failedMessages: summary.failed,
    unackedAtEnd: summary.unacknowledgedAtEnd,
    skippedMessages: summary.skippedForBackpressure,
    sentSamples: summary.samplesSent,
    sentReadings: summary.samplesSent * READINGS_PER_SAMPLE,
    ackedReadings: summary.samplesAcknowledged * READINGS_PER_SAMPLE,
    bytesSent: summary.bytesSent,
    ackLatencyMs: { p50: summary.ackLatencyMs.p50, p99: summary.ackLatencyMs.p99 },
    errors: summary.errors.slice(0, 10),
  };
  if (!startedPosted) post({ type: 'started', connected: summary.connected, startedAt: result.startedAt });
  post({ type: 'done', summary: result });
}

main().catch((err: unknown) => post({ type: 'error', message: (err as Error).stack ?? String(err) }));
