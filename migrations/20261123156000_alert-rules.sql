-- Alert rules and lifecycle (issue 3). See docs/alert-rules.md.

-- Start (clinical time) of the alert's latest episode. An episode is identified by its start:
-- the same episode decided twice (two evaluators racing, a redelivered message, a scheduler
-- rerun) updates the alert without counting a new occurrence.
ALTER TABLE alerts ADD COLUMN episode_started_at timestamptz;
UPDATE alerts SET episode_started_at = started_at WHERE episode_started_at IS NULL;

-- Escalation scan: open alerts not yet escalated, oldest first.
CREATE INDEX alerts_escalation_idx ON alerts (opened_at) WHERE status = 'open' AND NOT escalated;

-- device.silent alerts are cleared per device.
CREATE INDEX alerts_active_device_idx ON alerts (device_id, rule) WHERE status IN ('open', 'acknowledged');

-- "Was this episode already recorded?" looks up a patient's alerts of one rule by start.
CREATE INDEX alerts_patient_rule_started_idx ON alerts (patient_id, rule, started_at);
