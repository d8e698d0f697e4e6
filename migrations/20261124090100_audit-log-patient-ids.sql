-- Reads covering several patients (alert.list, patient.list) record the ids of the patients they
-- returned in details.patientIds (at most 1000 per entry: AuditService.recordPatientsRead), so
-- "who saw patient X" is answered by
--   SELECT … FROM audit_log WHERE patient_id = $1 OR details->'patientIds' ? $1::text
-- which this index serves together with audit_log_patient_idx (docs/security.md).
CREATE INDEX audit_log_patient_ids_idx ON audit_log USING gin ((details->'patientIds'));
