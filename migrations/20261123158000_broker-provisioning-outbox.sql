-- Pending changes to devices' broker credentials (Mosquitto dynamic security), so that a device
-- registered, deactivated or reactivated while the broker is unreachable is never silently left
-- with the wrong broker access: the change waits here and is retried in the background, in order
-- per device. A row is deleted as soon as the broker has applied it. See docs/security.md.
CREATE TABLE broker_provisioning_outbox (
  id               bigserial PRIMARY KEY,
  device_id        text NOT NULL,
  action           text NOT NULL CHECK (action IN ('provision', 'revoke', 'restore')),
  -- provision only: the device's MQTT password sealed with AES-256-GCM (key derived from the
  -- provisioning identity's password, never stored here). Never the plain secret.
  secret_box       text,
  -- pending: retried; failed: cannot succeed without an operator (e.g. the sealed secret can no
  -- longer be opened): logged and counted, never retried, never silently dropped.
  state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'failed')),
  attempts         integer NOT NULL DEFAULT 0,
  last_error       text,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  created_at       timestamptz NOT NULL DEFAULT now(),
  -- A pending provisioning carries its sealed secret; a failed one has forgotten it.
  CHECK (action <> 'provision' OR state = 'failed' OR secret_box IS NOT NULL)
);
CREATE INDEX broker_provisioning_outbox_device_idx ON broker_provisioning_outbox (device_id, id);
CREATE INDEX broker_provisioning_outbox_due_idx ON broker_provisioning_outbox (next_attempt_at) WHERE state = 'pending';
