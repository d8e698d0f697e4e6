import { hostname } from 'node:os';
import type { AppConfig } from './app-config.js';

/**
 * The MQTT client id of ingest connection `i`. The broker keeps a persistent session (and the
 * messages queued for it) per client id, so an id must be the same across restarts of one
 * instance and never shared by two instances (the broker would kick one off for the other, and a
 * well-known id such as `tm-ingest-0` is an invitation to take the backend's session over).
 * - `<prefix>-<instance>-<i>`: the default (prefix `tm-ingest`, instance = INGEST_INSTANCE_ID or
 *   the host name), or any prefix with INGEST_INSTANCE_ID;
 * - `<prefix>-<i>`: an explicit INGEST_CLIENT_ID_PREFIX without INGEST_INSTANCE_ID (as before:
 *   the operator gives each process its own prefix);
 * - `<prefix>-shard-<shard>`: shards mode (INGEST_SHARD), one connection: the session belongs to
 *   the shard, not to a host, so whichever machine runs shard i next finds what was queued for it.
 */
export function ingestClientId(config: Pick<AppConfig, 'ingest'>, i: number): string {
  const { clientIdPrefix, instanceId, shard } = config.ingest;
  if (shard) return `${clientIdPrefix}-shard-${shard.index}`;
  return instanceId ? `${clientIdPrefix}-${instanceId}-${i}` : `${clientIdPrefix}-${i}`;
}

/** The host name as a client id part: A-Z a-z 0-9 _ . - only, at most 64 characters. */
export function sanitizeInstanceId(name: string): string {
  const clean = name.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '').slice(0, 64);
  return clean || 'host';
}

/** INGEST_INSTANCE_ID's default: this machine's (container's, pod's) host name. */
export function defaultIngestInstanceId(): string {
  return sanitizeInstanceId(hostname());
}
