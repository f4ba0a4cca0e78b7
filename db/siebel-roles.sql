-- Roles of the Siebel stand-in database; run after siebel-schema.sql, as a superuser, with
--   psql -v app_password=... -v cdc_password=... -f siebel-roles.sql
-- app_role (siebel): what Siebel's application server does: reads and writes rows.
-- cdc_role (debezium): what the connector needs and no more: LOGIN REPLICATION, SELECT.
-- Idempotent: passwords are (re)set on every run so a changed secret takes effect.
\set ON_ERROR_STOP on

SELECT format('CREATE ROLE %I LOGIN', 'siebel')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'siebel') \gexec
SELECT format('CREATE ROLE %I LOGIN REPLICATION', 'debezium')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'debezium') \gexec

ALTER ROLE siebel PASSWORD :'app_password';
ALTER ROLE debezium LOGIN REPLICATION PASSWORD :'cdc_password';

GRANT USAGE ON SCHEMA siebel TO siebel, debezium;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA siebel TO siebel;
GRANT SELECT ON ALL TABLES IN SCHEMA siebel TO debezium;
ALTER DEFAULT PRIVILEGES IN SCHEMA siebel GRANT SELECT ON TABLES TO debezium;
