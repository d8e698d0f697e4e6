#!/bin/sh
# On first start, creates the dynamic security configuration with a single client: the backend's
# provisioning identity (MQTT_ADMIN_USERNAME / MQTT_ADMIN_PASSWORD, the same variables the app
# uses). The backend then creates its ingest identity (MQTT_USERNAME, subscribe-only) and each
# device's credentials and ACL itself (docs/security.md, deploy/mosquitto/dynamic-security.md).
# Later starts keep the file as it is: changing a password afterwards needs
# `mosquitto_ctrl dynsec setClientPassword`.
set -eu
DYNSEC_FILE="${DYNSEC_FILE:-/mosquitto/data/dynamic-security.json}"
if [ ! -s "$DYNSEC_FILE" ]; then
  : "${MQTT_ADMIN_USERNAME:?MQTT_ADMIN_USERNAME is required to initialise the broker}"
  : "${MQTT_ADMIN_PASSWORD:?MQTT_ADMIN_PASSWORD is required to initialise the broker}"
  mkdir -p "$(dirname "$DYNSEC_FILE")"
  mosquitto_ctrl dynsec init "$DYNSEC_FILE" "$MQTT_ADMIN_USERNAME" "$MQTT_ADMIN_PASSWORD" >/dev/null
  chmod 600 "$DYNSEC_FILE"
  if [ "$(id -u)" = 0 ]; then chown mosquitto:mosquitto "$DYNSEC_FILE"; fi
  echo "dynamic security initialised with the provisioning client '$MQTT_ADMIN_USERNAME'"
fi
if [ -x /docker-entrypoint.sh ]; then exec /docker-entrypoint.sh "$@"; fi
exec "$@"
