#!/bin/sh
# First start of the postgres container only (docker-entrypoint-initdb.d): the two roles DermReview uses.
#   dermreview_owner  owns the database and its tables; only the one-shot `migrate` service logs in as it.
#   dermreview_app    what web and workers log in as: no superuser, owns nothing. After each migration the owner
#                     grants it what it needs, and on the audit table only SELECT and INSERT, so the application
#                     cannot UPDATE, DELETE or TRUNCATE audit events, disable triggers or replicate around them.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
     -v owner_password="$DERMREVIEW_DB_OWNER_PASSWORD" -v app_password="$DERMREVIEW_DB_APP_PASSWORD" <<'SQL'
CREATE ROLE dermreview_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_password';
CREATE ROLE dermreview_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
CREATE DATABASE dermreview OWNER dermreview_owner;
SQL
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname dermreview <<'SQL'
REVOKE ALL ON DATABASE dermreview FROM PUBLIC;
GRANT CONNECT ON DATABASE dermreview TO dermreview_app;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
