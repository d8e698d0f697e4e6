/**
 * The one definition of "the devices of patient $1": those assigned to it now and those it had
 * before a reassignment (migrations/…130100_device-assignments.sql). A patient's readings are
 * reached through the readings' key (device_id, metric, time) with patient_id as a filter, so a
 * device that moved on still shows the first patient's history, and a replacement device
 * continues it. A SQL fragment with the patient id as `$1`, sorted by device id.
 */
export const PATIENT_DEVICE_IDS_SQL = `SELECT device_id FROM devices WHERE patient_id = $1
   UNION SELECT device_id FROM device_assignments WHERE patient_id = $1
   ORDER BY device_id`;
