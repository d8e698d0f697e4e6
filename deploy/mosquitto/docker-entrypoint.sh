#!/bin/sh
# On first start, creates the dynamic security configuration with a single client: the backend's
# provisioning identity (MQTT_ADMIN_USERNAME / MQTT_ADMIN_PASSWORD, the same variables the app
# uses), with the role `tm-provisioner` that may only send dynamic-security commands and read
# their answers: no `#`, no `$SYS`, no device topic (deploy/mosquitto/dynamic-security.md).
# The backend then creates its ingest identity (MQTT_USERNAME, subscribe-only) and each device's
# credentials and ACL itself (docs/security.md).
# Later starts keep the file as it is: changing a password afterwards needs
# `mosquitto_ctrl dynsec setClientPassword`; a file made by an older version of this script (the
# plugin's `admin` role, which may read every topic) is narrowed by the commands of
# dynamic-security.md, "Upgrading".
set -eu
DYNSEC_FILE="${DYNSEC_FILE:-/mosquitto/data/dynamic-security.json}"
if [ ! -s "$DYNSEC_FILE" ]; then
  : "${MQTT_ADMIN_USERNAME:?MQTT_ADMIN_USERNAME is required to initialise the broker}"
  : "${MQTT_ADMIN_PASSWORD:?MQTT_ADMIN_PASSWORD is required to initialise the broker}"
  case "$MQTT_ADMIN_USERNAME" in
    *[!A-Za-z0-9_.:@-]*) echo "MQTT_ADMIN_USERNAME may contain only A-Z a-z 0-9 _ . : @ -" >&2; exit 1 ;;
  esac
  mkdir -p "$(dirname "$DYNSEC_FILE")"
  # `dynsec init` hashes the password (salted PBKDF2-SHA512) but gives the client the plugin's
  # `admin` role, which may also subscribe to `#` and `$SYS/#`: keep its hash, write our own role.
  draft="$DYNSEC_FILE.init"
  rm -f "$draft"
  mosquitto_ctrl dynsec init "$draft" "$MQTT_ADMIN_USERNAME" "$MQTT_ADMIN_PASSWORD" >/dev/null
  field() { sed -n "s/^[[:space:]]*\"$1\":[[:space:]]*\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}[[:space:]]*$/\1/p" "$draft" | head -n 1; }
  hash="$(field password)"
  salt="$(field salt)"
  iterations="$(field iterations)"
  rm -f "$draft"
  if [ -z "$hash" ] || [ -z "$salt" ] || [ -z "$iterations" ]; then
    echo "could not read the password hash written by mosquitto_ctrl dynsec init" >&2
    exit 1
  fi
  umask 077
  cat >"$DYNSEC_FILE" <<EOF
{
  "clients": [{
    "username": "$MQTT_ADMIN_USERNAME",
    "textName": "telemonitoring backend: provisioning of devices' credentials",
    "password": "$hash",
    "salt": "$salt",
    "iterations": $iterations,
    "roles": [{ "rolename": "tm-provisioner" }]
  }],
  "roles": [{
    "rolename": "tm-provisioner",
    "textName": "dynamic-security commands and their answers only",
    "acls": [
      { "acltype": "publishClientSend", "topic": "\$CONTROL/dynamic-security/v1", "allow": true },
      { "acltype": "subscribePattern", "topic": "\$CONTROL/dynamic-security/v1/response", "allow": true },
      { "acltype": "publishClientReceive", "topic": "\$CONTROL/dynamic-security/v1/response", "allow": true }
    ]
  }],
  "defaultACLAccess": { "publishClientSend": false, "publishClientReceive": true, "subscribe": false, "unsubscribe": true }
}
EOF
  chmod 600 "$DYNSEC_FILE"
  if [ "$(id -u)" = 0 ]; then chown mosquitto:mosquitto "$DYNSEC_FILE"; fi
  echo "dynamic security initialised with the provisioning client '$MQTT_ADMIN_USERNAME' (role tm-provisioner)"
fi
if [ -x /docker-entrypoint.sh ]; then exec /docker-entrypoint.sh "$@"; fi
exec "$@"
