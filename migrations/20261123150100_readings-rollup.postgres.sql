-- Plain PostgreSQL: the portable equivalent of the TimescaleDB continuous aggregate.
-- Ingestion maintains it in the same statement that inserts the readings (only rows actually
-- inserted count, so duplicates never inflate it). Trend queries read the same columns on both
-- flavours: see 20261123150100_readings-rollup.timescaledb.sql.
CREATE TABLE readings_hourly (
  patient_id  uuid NOT NULL,
  metric      text NOT NULL,
  bucket      timestamptz NOT NULL,
  min_value   double precision NOT NULL,
  max_value   double precision NOT NULL,
  sum_value   double precision NOT NULL,
  n           bigint NOT NULL,
  PRIMARY KEY (patient_id, metric, bucket)
);
