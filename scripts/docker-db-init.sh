#!/bin/sh
# First start of the development db container: the owner and app roles and the database.
set -e
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" <<SQL
CREATE ROLE sam_owner LOGIN NOSUPERUSER NOBYPASSRLS CREATEDB;
CREATE ROLE sam_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB;
-- Backups and restores only (manage.py backup / restore): reads every workspace, restores as the owner.
CREATE ROLE sam_backup LOGIN NOSUPERUSER BYPASSRLS NOCREATEDB;
GRANT sam_owner TO sam_backup;
CREATE DATABASE sam OWNER sam_owner;
GRANT CONNECT ON DATABASE sam TO sam_app;
\connect sam
ALTER SCHEMA public OWNER TO sam_owner;
GRANT USAGE ON SCHEMA public TO sam_app;
-- Full-text search may use its GIN indexes under row-level security (README "Search and row-level security").
ALTER FUNCTION pg_catalog.ts_match_vq(tsvector, tsquery) LEAKPROOF;
SQL
