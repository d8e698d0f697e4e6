-- Telemonitoring episodes (the prescription, LATM) and reviews (the operator's documented
-- analysis): CONTRACT.md §6, docs/latm.md.

CREATE TABLE episodes (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  patient_id        uuid NOT NULL REFERENCES patients(id),
  indication        text NOT NULL CHECK (indication IN ('niv', 'oxygen', 'niv+oxygen')),
  -- The prescribing physician. Required by the API; NULL only for the episodes this migration
  -- creates for the patients of earlier versions (origin = 'migration'): nobody prescribed them here.
  prescriber_id     uuid REFERENCES users(id),
  origin            text NOT NULL DEFAULT 'prescription' CHECK (origin IN ('prescription', 'migration')),
  -- Dates in the patient's time zone.
  start_date        date NOT NULL,
  planned_end_date  date,
  status            text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'ended')),
  end_date          date,
  end_reason        text CHECK (length(end_reason) BETWEEN 1 AND 500),
  created_by        uuid REFERENCES users(id),
  created_at        timestamptz NOT NULL DEFAULT now(),
  ended_by          uuid REFERENCES users(id),
  ended_at          timestamptz,
  CHECK (prescriber_id IS NOT NULL OR origin = 'migration'),
  CHECK (planned_end_date IS NULL OR planned_end_date >= start_date),
  CHECK ((status = 'ended') = (end_date IS NOT NULL AND end_reason IS NOT NULL)),
  CHECK (end_date IS NULL OR end_date >= start_date)
);
-- At most one active episode per patient, whatever the number of API processes.
CREATE UNIQUE INDEX episodes_one_active_per_patient ON episodes (patient_id) WHERE status = 'active';
CREATE INDEX episodes_patient_idx ON episodes (patient_id, start_date DESC);

-- Every patient of an earlier version keeps being monitored: one active episode each, from the
-- date (in the patient's zone) the patient was registered. NIV was the only therapy then.
INSERT INTO episodes (patient_id, indication, prescriber_id, origin, start_date)
SELECT p.id, 'niv', NULL, 'migration', (p.created_at AT TIME ZONE p.timezone)::date
  FROM patients p;

CREATE TABLE reviews (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  patient_id  uuid NOT NULL REFERENCES patients(id),
  author_id   uuid NOT NULL REFERENCES users(id),
  at          timestamptz NOT NULL DEFAULT now(),
  note        text NOT NULL CHECK (length(note) BETWEEN 1 AND 4000),
  outcome     text CHECK (length(outcome) BETWEEN 1 AND 200)
);
CREATE INDEX reviews_patient_idx ON reviews (patient_id, at DESC);
