-- A device's patients over time (CONTRACT §8: PATCH /api/devices/:id { patientId, from }).
-- devices.patient_id is the current patient, from devices.assigned_from (NULL: since the device
-- was registered). Each earlier patient is one row here: the device was that patient's until
-- `until_at` (and since the previous row's until_at). Ingestion stamps a reading with the patient
-- of its sample time, so a late reading taken before the reassignment stays with the first patient.
-- A patient's readings are reached through its devices, current and earlier (readings' key is
-- (device_id, metric, time), patient_id a filter): the queries list both (patient-device-ids.ts).
ALTER TABLE devices ADD COLUMN assigned_from timestamptz;

CREATE TABLE device_assignments (
  device_id   text NOT NULL REFERENCES devices(device_id) ON DELETE CASCADE,
  patient_id  uuid NOT NULL REFERENCES patients(id),
  until_at    timestamptz NOT NULL,
  PRIMARY KEY (device_id, until_at)
);
CREATE INDEX device_assignments_patient_idx ON device_assignments (patient_id);
