-- Snoozes (CONTRACT.md §7): a nurse or physician silences one non-critical rule for one patient
-- until `until` (at most 7 days ahead, checked by the API), with a reason. Ending one early keeps
-- the row and records who and when (ended_by, ended_at). The rules read it when they would raise:
-- active = ended_at IS NULL AND until > now() (rule_snoozes_active).
CREATE TABLE rule_snoozes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  patient_id uuid NOT NULL REFERENCES patients(id),
  rule text NOT NULL,
  until timestamptz NOT NULL,
  reason text NOT NULL CHECK (length(btrim(reason)) > 0),
  created_by uuid NOT NULL REFERENCES users(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  ended_by uuid REFERENCES users(id),
  ended_at timestamptz,
  CHECK (rule NOT IN ('spo2.critical', 'device.silent')),
  CHECK (until > created_at),
  CHECK ((ended_by IS NULL) = (ended_at IS NULL))
);

CREATE INDEX rule_snoozes_active ON rule_snoozes (patient_id, rule, until) WHERE ended_at IS NULL;
