#!/bin/sh
# The application's database login (docker-compose.yml, docs/security.md "Database roles").
#
# Run by the PostgreSQL image once, when it initialises an empty data volume
# (/docker-entrypoint-initdb.d): creates `telemonitoring_runtime`, the login the app connects as,
# a member of `telemonitoring_app` (NOLOGIN, owns nothing). The migrations, run as the owner
# (POSTGRES_USER) by the compose `migrate` service, grant that role every table's DML but only
# SELECT and INSERT on audit_log; the app never holds the owner's password.
#
# Idempotent: for a volume initialised before this script existed, or to apply a new
# POSTGRES_APP_PASSWORD, run it by hand:
#   docker compose exec db sh /docker-entrypoint-initdb.d/10-app-login.sh
# Written to be sourced as well as executed (the image sources scripts that are not executable).
: "${POSTGRES_APP_PASSWORD:?POSTGRES_APP_PASSWORD is required: the password of the app's database login}"
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
  --set app_password="$POSTGRES_APP_PASSWORD" <<'SQL'
-- The role is also created by the migrations (if missing): whichever comes first.
SELECT 'CREATE ROLE telemonitoring_app NOLOGIN'
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'telemonitoring_app') \gexec
SELECT 'CREATE ROLE telemonitoring_runtime LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT'
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'telemonitoring_runtime') \gexec
ALTER ROLE telemonitoring_runtime WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT NOBYPASSRLS PASSWORD :'app_password';
GRANT telemonitoring_app TO telemonitoring_runtime;
SQL
