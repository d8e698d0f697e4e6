-- Computed night oximetry (SpO2 mean/min, T90, ODI, pulse mean) per patient and night window: a
-- cache for GET /api/patients/:id/nights, which otherwise reads every SpO2 sample of every night
-- (30 nights of 1 Hz: ~1.3 M samples) on each request. An entry is used only while its fingerprint
-- still matches: algorithm version, the patient's devices, and the number and latest time of the
-- window's SpO2 and pulse rows (readings are insert-only, so a backfill changes the count). Safe to
-- truncate at any time. Plain table on both flavours.
CREATE TABLE night_oximetry_cache (
  patient_id    uuid NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
  window_start  timestamptz NOT NULL,
  window_end    timestamptz NOT NULL,
  fingerprint   text NOT NULL,
  summary       jsonb NOT NULL,
  computed_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (patient_id, window_start, window_end)
);
