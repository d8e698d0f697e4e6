-- Relational side (care teams, users, patients, devices, thresholds, alerts, audit, dead letters)
-- and the readings time series. The TimescaleDB-specific objects (hypertable, compression,
-- retention, continuous aggregates) live in *.timescaledb.sql files; their plain-PostgreSQL
-- equivalents in *.postgres.sql files. See docs/database.md.

-- gen_random_uuid() is core since PostgreSQL 13: no extension needed.

CREATE TABLE care_teams (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  username             text NOT NULL UNIQUE CHECK (length(username) BETWEEN 3 AND 100),
  -- argon2id PHC string; never the password.
  password_hash        text NOT NULL,
  role                 text NOT NULL CHECK (role IN ('nurse', 'physician', 'admin')),
  display_name         text,
  -- National professional identifier (RPPS / ADELI), filled when Pro Santé Connect is used.
  national_id          text UNIQUE,
  active               boolean NOT NULL DEFAULT true,
  failed_login_count   integer NOT NULL DEFAULT 0,
  locked_until         timestamptz,
  created_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE user_care_teams (
  user_id       uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  care_team_id  uuid NOT NULL REFERENCES care_teams(id) ON DELETE CASCADE,
  PRIMARY KEY (user_id, care_team_id)
);
CREATE INDEX user_care_teams_team_idx ON user_care_teams (care_team_id);

CREATE TABLE patients (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  display_name  text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
  -- INS (Identifiant National de Santé, the NIR-based matricule): 15 characters when known.
  ins           text UNIQUE CHECK (ins ~ '^[0-9]{5}(2A|2B|[0-9]{2})[0-9]{8}$'),
  profile       text NOT NULL CHECK (profile IN ('hypercapnic', 'standard')),
  care_team_id  uuid NOT NULL REFERENCES care_teams(id),
  -- For night boundaries when no ventilator session is known (20:00–08:00 local time).
  timezone      text NOT NULL DEFAULT 'Europe/Paris',
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX patients_care_team_idx ON patients (care_team_id);

CREATE TABLE devices (
  device_id     text PRIMARY KEY CHECK (device_id ~ '^[A-Za-z0-9_-]{3,64}$'),
  kind          text NOT NULL CHECK (kind IN ('oximeter', 'ventilator')),
  patient_id    uuid NOT NULL REFERENCES patients(id),
  -- argon2id hash of the MQTT password; the secret itself is shown once at registration.
  secret_hash   text NOT NULL,
  active        boolean NOT NULL DEFAULT true,
  last_seen_at  timestamptz,
  online        boolean NOT NULL DEFAULT false,
  battery       smallint CHECK (battery BETWEEN 0 AND 100),
  firmware      text,
  status_at     timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX devices_patient_idx ON devices (patient_id);

-- Per-patient rule parameters set by a physician; absent keys fall back to the profile defaults.
CREATE TABLE patient_thresholds (
  patient_id  uuid PRIMARY KEY REFERENCES patients(id) ON DELETE CASCADE,
  settings    jsonb NOT NULL DEFAULT '{}'::jsonb,
  updated_by  uuid REFERENCES users(id),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per metric value at one time. Narrow on purpose: batched INSERT … unnest.
-- The key is the contract's duplicate identity (device, metric, time); patient_id is stored so
-- that history stays with the patient even if a device is later re-assigned. Patient queries
-- filter on the patient's device ids (served by this key) and on patient_id: one index only,
-- which keeps ingestion close to the raw insert ceiling.
CREATE TABLE readings (
  device_id   text NOT NULL,
  metric      text NOT NULL,
  time        timestamptz NOT NULL,
  patient_id  uuid NOT NULL,
  value       double precision NOT NULL,
  -- false: oximeter reported motion / poor signal; stored, excluded from rules and summaries.
  signal_ok   boolean NOT NULL DEFAULT true,
  PRIMARY KEY (device_id, metric, time)
);

-- Ventilation session summaries (one per night per ventilator).
CREATE TABLE night_sessions (
  device_id                  text NOT NULL REFERENCES devices(device_id),
  start_at                   timestamptz NOT NULL,
  end_at                     timestamptz NOT NULL,
  patient_id                 uuid NOT NULL REFERENCES patients(id),
  usage_hours                double precision,
  leak_p95                   double precision,
  ahi                        double precision,
  resp_rate_median           double precision,
  tidal_volume_median        double precision,
  minute_ventilation_median  double precision,
  triggered_breaths_pct      double precision,
  received_at                timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (device_id, start_at)
);
CREATE INDEX night_sessions_patient_idx ON night_sessions (patient_id, start_at DESC);

CREATE TABLE alerts (
  id                 bigserial PRIMARY KEY,
  patient_id         uuid NOT NULL REFERENCES patients(id),
  rule               text NOT NULL,
  severity           text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  status             text NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
  started_at         timestamptz NOT NULL,
  opened_at          timestamptz NOT NULL DEFAULT now(),
  last_triggered_at  timestamptz NOT NULL,
  occurrences        integer NOT NULL DEFAULT 1,
  value              double precision,
  threshold          double precision,
  message            text NOT NULL,
  news2_spo2_score   smallint,
  escalated          boolean NOT NULL DEFAULT false,
  escalated_at       timestamptz,
  acknowledged_by    uuid REFERENCES users(id),
  acknowledged_at    timestamptz,
  resolved_by        uuid REFERENCES users(id),
  resolved_at        timestamptz,
  resolution         text CHECK (resolution IN ('cleared', 'manual')),
  -- Device that produced the triggering samples, when there is one.
  device_id          text
);
-- The alert identity: at most one open-or-acknowledged alert per (patient, rule), whatever
-- the number of processes evaluating rules.
CREATE UNIQUE INDEX alerts_one_active_per_rule ON alerts (patient_id, rule) WHERE status IN ('open', 'acknowledged');
CREATE INDEX alerts_patient_idx ON alerts (patient_id, opened_at DESC);
CREATE INDEX alerts_status_idx ON alerts (status) WHERE status <> 'resolved';

-- Every alert transition. The id is monotonic: consoles resume from the last id they saw.
CREATE TABLE alert_events (
  id            bigserial PRIMARY KEY,
  alert_id      bigint NOT NULL REFERENCES alerts(id),
  patient_id    uuid NOT NULL,
  care_team_id  uuid NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('raised', 'occurrence', 'severity', 'acknowledged', 'resolved', 'escalated')),
  actor_id      uuid REFERENCES users(id),
  note          text,
  at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_events_team_idx ON alert_events (care_team_id, id);
CREATE INDEX alert_events_alert_idx ON alert_events (alert_id, id);

-- Who did or saw what, when, from where. Append-only: see the trigger below.
CREATE TABLE audit_log (
  id           bigserial PRIMARY KEY,
  at           timestamptz NOT NULL DEFAULT now(),
  actor_id     uuid,
  actor_role   text,
  action       text NOT NULL,
  patient_id   uuid,
  target_type  text,
  target_id    text,
  ip           text,
  outcome      text NOT NULL DEFAULT 'success',
  details      jsonb
);
CREATE INDEX audit_log_patient_idx ON audit_log (patient_id, at DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, at DESC);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Dead letters: every rejected message or sample, with its reason. Never silently dropped.
CREATE TABLE rejections (
  id           bigserial PRIMARY KEY,
  device_id    text,
  topic        text NOT NULL,
  reason       text NOT NULL,
  detail       text,
  received_at  timestamptz NOT NULL DEFAULT now(),
  excerpt      text
);
CREATE INDEX rejections_received_idx ON rejections (received_at DESC);
CREATE INDEX rejections_device_idx ON rejections (device_id, received_at DESC);
