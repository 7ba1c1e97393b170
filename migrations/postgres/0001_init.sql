-- The SQLite schema (migrations/sqlite/0001_init.sql) in PostgreSQL types:
-- BYTEA for the SHA-256 of tokens, codes and session ids (never the values
-- themselves), BIGINT identities and Unix times, BOOLEAN flags.

CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE clients (
    client_id                  TEXT PRIMARY KEY,
    client_name                TEXT NOT NULL,
    client_uri                 TEXT,
    secret_hash                TEXT,
    redirect_uris              TEXT NOT NULL, -- JSON array
    grant_types                TEXT NOT NULL, -- space-separated
    response_types             TEXT NOT NULL, -- space-separated
    scope                      TEXT NOT NULL,
    token_endpoint_auth_method TEXT NOT NULL,
    owner_id                   BIGINT REFERENCES users(id) ON DELETE CASCADE,
    client_id_issued_at        BIGINT NOT NULL,
    client_secret_expires_at   BIGINT NOT NULL
);
CREATE INDEX clients_owner ON clients(owner_id);

-- A grant is one authorization: the family of tokens it produced (RFC 9700
-- §4.14 revokes the whole family when a refresh token is reused).
CREATE TABLE grants (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id  TEXT NOT NULL,
    user_id    BIGINT,
    created_at BIGINT NOT NULL,
    revoked    BOOLEAN NOT NULL DEFAULT false
);

CREATE TABLE tokens (
    hash       BYTEA PRIMARY KEY,
    kind       SMALLINT NOT NULL, -- 0 access, 1 refresh
    grant_id   BIGINT NOT NULL,
    scope      TEXT NOT NULL,
    issued_at  BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked    BOOLEAN NOT NULL DEFAULT false,
    used       BOOLEAN NOT NULL DEFAULT false
);
CREATE INDEX tokens_expiry ON tokens(expires_at);
CREATE INDEX tokens_grant ON tokens(grant_id);

CREATE TABLE codes (
    hash           BYTEA PRIMARY KEY,
    client_id      TEXT NOT NULL,
    user_id        BIGINT NOT NULL,
    redirect_uri   TEXT NOT NULL,
    scope          TEXT NOT NULL,
    code_challenge TEXT,
    expires_at     BIGINT NOT NULL,
    used           BOOLEAN NOT NULL DEFAULT false,
    grant_id       BIGINT
);
CREATE INDEX codes_expiry ON codes(expires_at);
-- The purge keeps a grant while a code still points at it.
CREATE INDEX codes_grant ON codes(grant_id);

CREATE TABLE sessions (
    hash       BYTEA PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions(expires_at);

CREATE TABLE restaurants (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    address       TEXT NOT NULL,
    opening_hours TEXT NOT NULL
);
