-- Home oxygen (CONTRACT.md §6): the device kind `concentrator`, and the session fields it and
-- the ventilator gain. A concentrator's session (a period of oxygen use) goes in night_sessions
-- with the ventilators' sessions (same key, same ingestion statement); the device's kind tells
-- them apart (the NIV rules and the nights read ventilator sessions only).

ALTER TABLE devices DROP CONSTRAINT devices_kind_check;
ALTER TABLE devices ADD CONSTRAINT devices_kind_check CHECK (kind IN ('oximeter', 'ventilator', 'concentrator'));

ALTER TABLE night_sessions
  -- Ventilator: the session's 24 h leak median and mean (L/min), when the ventilator computes them.
  ADD COLUMN leak_median     double precision,
  ADD COLUMN leak_mean       double precision,
  -- Concentrator: hours of oxygen delivered in the session, and its mean flow (L/min).
  ADD COLUMN o2_usage_hours  double precision,
  ADD COLUMN o2_flow_mean    double precision;
