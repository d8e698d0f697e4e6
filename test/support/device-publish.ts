import type { MqttClient } from 'mqtt';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Publishes one QoS 1 message as a device with a retry queue does through broker restarts: an
 * attempt ends with the PUBACK, or after 2 s (the connection died under it), then again after
 * 100 ms, until the broker acknowledges one of the attempts. Throws after 30 s naming `what`.
 * Returns the attempts made and when the PUBACK came (epoch ms).
 */
export async function publishUntilAcknowledged(client: MqttClient, topic: string, payload: string, what: string): Promise<{ attempts: number; ackedAt: number }> {
  const deadline = Date.now() + 30_000;
  let ackedAt: number | undefined;
  let attempts = 0;
  while (ackedAt === undefined) {
    if (Date.now() > deadline) throw new Error(`${what} not acknowledged within 30 s`);
    attempts++;
    const attempt = client.publishAsync(topic, payload, { qos: 1 }).then(
      () => void (ackedAt ??= Date.now()),
      () => undefined,
    );
    await Promise.race([attempt, sleep(2000)]);
    if (ackedAt === undefined) await sleep(100);
  }
  return { attempts, ackedAt };
}
