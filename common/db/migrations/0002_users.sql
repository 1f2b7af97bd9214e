-- 0002_users: the gateway's own accounts. PMM delegates logins to Grafana;
-- we have no Grafana, so users (with libsodium argon2id password hashes,
-- crypto_pwhash_str format) and service tokens (stored only as the SHA-256
-- hex of the token) live here. role is the Grafana-style role the gateway
-- checks; user_roles.user_id refers to users.user_id.

CREATE TABLE users (
    user_id SERIAL PRIMARY KEY,
    login VARCHAR NOT NULL UNIQUE CHECK (login <> ''),
    password_hash VARCHAR NOT NULL,
    role VARCHAR NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE service_tokens (
    token_id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    token_hash VARCHAR NOT NULL UNIQUE,
    role VARCHAR NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
    node_id VARCHAR NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NULL
);
