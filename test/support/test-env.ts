/**
 * Where the integration tests find their services: the machine's PostgreSQL and Redis, and a
 * Mosquitto per Jest worker, by default; overridable for other machines.
 * Each run uses its own database (TEST_DB_NAME, default tm_test), recreated by the global setup.
 */
export const PG_ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_DB_NAME = process.env.TEST_DB_NAME ?? 'tm_test';
export const TEST_DATABASE_URL = (() => {
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${TEST_DB_NAME}`;
  return u.toString();
})();
/**
 * The worker's own Mosquitto, started by global-setup.cjs (apps in different workers must not
 * share a broker: each would ingest the other's devices); TEST_MQTT_URL overrides it.
 */
export const TEST_MQTT_URL = process.env.TEST_MQTT_URL ?? workerBrokerUrl();

function workerBrokerUrl(): string {
  const ports = (process.env.TEST_WORKER_BROKER_PORTS ?? '').split(',').filter(Boolean);
  if (ports.length === 0) return 'mqtt://127.0.0.1:1883';
  const worker = Number(process.env.JEST_WORKER_ID ?? '1');
  return `mqtt://127.0.0.1:${ports[(worker - 1) % ports.length]}`;
}
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const TEST_JWT_SECRET = 'test-secret-0123456789abcdef0123456789abcdef';
