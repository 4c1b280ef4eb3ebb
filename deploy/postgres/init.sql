-- Run once by the postgres image on an empty data volume (/docker-entrypoint-initdb.d).
-- One database per service: no service can join another's tables (ARCHITECTURE.md).
-- The hub role is POSTGRES_USER from deploy/env.example; each service migrates its own schema.
CREATE DATABASE accounts OWNER hub;
CREATE DATABASE rosters OWNER hub;
CREATE DATABASE documents OWNER hub;
CREATE DATABASE training OWNER hub;
CREATE DATABASE notifications OWNER hub;
