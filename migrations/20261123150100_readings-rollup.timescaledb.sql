-- TimescaleDB flavour of the readings rollup (twin of 20261123150100_readings-rollup.postgres.sql).
-- Runs only where the timescaledb extension is available (the migrator created it). Trend queries
-- read `readings_hourly` with the same columns on both flavours. Choices explained in docs/database.md.
--
-- Runs in one transaction: the continuous aggregate is created WITH NO DATA (materialising it
-- would need to run outside a transaction); the refresh policy fills it, and real-time
-- aggregation answers from the raw rows until then.

-- Hypertable, 1-day chunks. Sizing: 1 Hz oximetry is ~86,400 rows per patient per metric per day
-- (~30-40 k for a night-only oximetry), two or three metrics per device. For a few hundred patients
-- a day chunk is some tens of millions of rows (a few GB with its index): the chunk currently
-- written and its index stay in memory, which is what TimescaleDB's sizing rule asks for. A day is
-- also the unit of the physicians' queries (nights, 7/30/90-day views) and of the compression and
-- retention policies below. Backfills (up to the 30-day horizon) only touch older day chunks.
SELECT create_hypertable('readings', by_range('time', INTERVAL '1 day'), migrate_data => true);

-- Compression (columnstore). Segments by patient, device and metric: every query filters on them
-- (device_id = ANY(...) AND patient_id = $1 AND metric = $2), so a query decompresses only its own
-- segments; ordered by time inside a segment, which is the range predicate of every query and gives
-- the delta-of-delta encoding regular 1 Hz timestamps. The primary key (device_id, metric, time) is
-- covered by segmentby + orderby, so duplicate detection keeps working on compressed chunks.
ALTER TABLE readings SET (
  timescaledb.compress,
  timescaledb.compress_segmentby = 'patient_id, device_id, metric',
  timescaledb.compress_orderby = 'time DESC'
);

-- Compress chunks older than 7 days: recent nights (the ones physicians and rules read in full
-- resolution) stay row-oriented; older data shrinks ~10-20x. Late backlogs (devices offline up to
-- the 30-day backfill horizon) still insert into compressed chunks (supported since 2.11, slower).
SELECT add_compression_policy('readings', compress_after => INTERVAL '7 days');

-- Retention of the raw samples. RAW_READINGS_RETENTION is a clinical/legal decision, not a
-- technical one: the raw 1 Hz signal is kept 3 years (enough for any audit of an alert or a
-- report, and the horizon of a long-term home ventilation follow-up); what the medical record
-- needs for longer (monthly reports, nights, alerts and their handling) lives in other tables,
-- and the hourly aggregate below is not dropped with the raw chunks (its refresh window never
-- reaches that far back). Change it here (and in docs/database.md) only with the DPO.
DO $$
DECLARE
  raw_readings_retention CONSTANT interval := INTERVAL '3 years';
BEGIN
  PERFORM add_retention_policy('readings', drop_after => raw_readings_retention);
END
$$;

-- Continuous aggregate with exactly the columns of the plain-PostgreSQL readings_hourly table.
-- Samples with signal_ok = false are excluded (CONTRACT.md §1: not in summaries).
-- materialized_only = false: real-time aggregation, so the current hour (and anything not yet
-- materialised) is computed from the raw rows at query time and a trend is never stale.
CREATE MATERIALIZED VIEW readings_hourly
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT
  patient_id,
  metric,
  time_bucket(INTERVAL '1 hour', time) AS bucket,
  min(value) AS min_value,
  max(value) AS max_value,
  sum(value) AS sum_value,
  count(*) AS n
FROM readings
WHERE signal_ok
GROUP BY patient_id, metric, time_bucket(INTERVAL '1 hour', time)
WITH NO DATA;

-- Refresh every 15 minutes the window from 32 days ago (the 30-day backfill horizon plus a margin,
-- so late backlogs are re-materialised) to 1 hour ago (the open hour is served in real time).
-- Only invalidated buckets are recomputed, so the wide window costs nothing when nothing changed.
SELECT add_continuous_aggregate_policy('readings_hourly',
  start_offset => INTERVAL '32 days',
  end_offset => INTERVAL '1 hour',
  schedule_interval => INTERVAL '15 minutes');

-- Trend queries filter on (patient_id, metric, bucket).
CREATE INDEX readings_hourly_patient_metric_bucket_idx ON readings_hourly (patient_id, metric, bucket);
