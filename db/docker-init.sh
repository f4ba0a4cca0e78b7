#!/usr/bin/env bash
# docker-entrypoint-initdb.d hook of the compose PostgreSQL service: the same two files the local
# stack applies (siebel-schema.sql, then siebel-roles.sql), with the passwords from the environment.
set -euo pipefail
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -f /siebel-db/siebel-schema.sql
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" \
  -v app_password="$SIEBEL_DB_APP_PASSWORD" -v cdc_password="$SIEBEL_DB_PASSWORD" \
  -f /siebel-db/siebel-roles.sql
