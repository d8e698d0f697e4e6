-- The application's database role (issue 7 §3; docs/security.md "Database roles", docs/database.md).
--
-- The trigger of the initial migration refuses UPDATE, DELETE and TRUNCATE on audit_log, but the
-- owner of the table (the user that runs these migrations) can disable or drop a trigger. The
-- running application therefore connects as a login that is a member of `telemonitoring_app`
-- (NOLOGIN, owns nothing): every table's DML, but on audit_log only SELECT and INSERT, and no DDL.
-- For that login the trigger cannot be disabled or dropped (only the owner may), and UPDATE,
-- DELETE and TRUNCATE of audit_log fail with a permission error before the trigger is reached.
--
-- Roles belong to the cluster, not the database: the role is created only if missing (by a
-- superuser or a user with CREATEROLE; otherwise create it first, see docs/database.md), and
-- several databases of one cluster share it. The login itself (its name and password) is the
-- deployment's: docker-compose.yml creates `telemonitoring_runtime` (deploy/postgres/).

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'telemonitoring_app') THEN
    BEGIN
      CREATE ROLE telemonitoring_app NOLOGIN;
    EXCEPTION
      -- Created meanwhile by the migration of another database of the same cluster.
      WHEN duplicate_object OR unique_violation THEN NULL;
      WHEN insufficient_privilege THEN
        RAISE EXCEPTION 'cannot create the role telemonitoring_app: %', SQLERRM
          USING HINT = 'create it once as a superuser (CREATE ROLE telemonitoring_app NOLOGIN), then migrate again: see docs/database.md';
    END;
  END IF;
  -- The boundary is void if the role can do anything anyway, or if it is the one migrating.
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'telemonitoring_app' AND (rolsuper OR rolbypassrls OR rolcreaterole)) THEN
    RAISE EXCEPTION 'the role telemonitoring_app must not be a superuser, nor have BYPASSRLS or CREATEROLE';
  END IF;
  IF current_user = 'telemonitoring_app' THEN
    RAISE EXCEPTION 'run the migrations as the owner of the schema, not as telemonitoring_app';
  END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO telemonitoring_app;

-- Every table (on TimescaleDB: the readings hypertable, whose chunks inherit its privileges, and
-- the readings_hourly continuous aggregate) and every sequence (bigserial ids) as they are now...
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO telemonitoring_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO telemonitoring_app;
-- ...and those later migrations create (when run by the same owner as this one).
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO telemonitoring_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO telemonitoring_app;

-- The audit log is append-only for the application: read and insert, nothing else.
REVOKE ALL ON audit_log FROM telemonitoring_app;
GRANT SELECT, INSERT ON audit_log TO telemonitoring_app;

-- The migrations' bookkeeping: readable (readiness checks pending migrations), never written.
REVOKE ALL ON schema_migrations FROM telemonitoring_app;
GRANT SELECT ON schema_migrations TO telemonitoring_app;
