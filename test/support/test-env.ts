/**
 * Where the integration tests find their services: the machine's PostgreSQL and Mosquitto by
 * default (CONTRACT and DEVELOPERS.md), overridable for other machines.
 * Each run uses its own database (TEST_DB_NAME, default tm_test), recreated by the global setup.
 */
export const PG_ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_DB_NAME = process.env.TEST_DB_NAME ?? 'tm_test';
export const TEST_DATABASE_URL = (() => {
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${TEST_DB_NAME}`;
  return u.toString();
})();
export const TEST_MQTT_URL = process.env.TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const TEST_JWT_SECRET = 'test-secret-0123456789abcdef0123456789abcdef';
