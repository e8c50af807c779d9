-- Run once by the postgis container when it initialises an empty data directory
-- (mounted into /docker-entrypoint-initdb.d by docker/compose.yaml). Mirrors scripts/provision.sh:
--   * the application role (owner of the database, CREATEDB so that the test suite can run against it),
--   * the read-only role MapServer uses to read schema `layers` (the migration catalogue 0003 grants it),
--   * the application database, with PostGIS in it and in template1.
-- Names and passwords come from the same GP_* variables as the platform, with the same defaults.
\set ON_ERROR_STOP on

\set db_name geoplatform
\set db_user geoplatform
\set db_password geoplatform
\set reader geoplatform_reader
\set reader_password geoplatform_reader
\getenv db_name GP_DB_NAME
\getenv db_user GP_DB_USER
\getenv db_password GP_DB_PASSWORD
\getenv reader GP_RENDER_DB_USER
\getenv reader_password GP_RENDER_DB_PASSWORD

SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'db_user') AS missing_owner \gset
\if :missing_owner
CREATE ROLE :"db_user" LOGIN CREATEDB PASSWORD :'db_password';
\endif

SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'reader') AS missing_reader \gset
\if :missing_reader
CREATE ROLE :"reader" LOGIN PASSWORD :'reader_password';
\endif

SELECT NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db_name') AS missing_database \gset
\if :missing_database
CREATE DATABASE :"db_name" OWNER :"db_user";
\endif

-- PostGIS in template1 too, so that test databases are created with it without superuser rights.
\connect template1
CREATE EXTENSION IF NOT EXISTS postgis;
\connect :"db_name"
CREATE EXTENSION IF NOT EXISTS postgis;
