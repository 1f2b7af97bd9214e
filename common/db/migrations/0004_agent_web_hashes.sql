-- 0004_agent_web_hashes: the bcrypt hash of each exporter's web-config
-- password (cost 10, tens of milliseconds of CPU each), kept so that a
-- fleet reconnecting after a restart gets its SetState without hashing
-- again. digest identifies the (salt, password) pair the hash is of; the
-- password itself is not stored here.
CREATE TABLE agent_web_hashes (
    agent_id VARCHAR PRIMARY KEY REFERENCES agents (agent_id) ON DELETE CASCADE,
    digest BYTEA NOT NULL,
    hash VARCHAR NOT NULL
);
