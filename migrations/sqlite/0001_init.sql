-- Secrets are never stored in clear: tokens, codes and session ids as SHA-256
-- (BLOB), passwords and human-chosen client secrets as Argon2id PHC strings.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL
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
    owner_id                   INTEGER REFERENCES users(id) ON DELETE CASCADE,
    client_id_issued_at        INTEGER NOT NULL,
    client_secret_expires_at   INTEGER NOT NULL
);
CREATE INDEX clients_owner ON clients(owner_id);

-- A grant is one authorization: the family of tokens it produced (RFC 9700
-- §4.14 revokes the whole family when a refresh token is reused).
CREATE TABLE grants (
    id         INTEGER PRIMARY KEY,
    client_id  TEXT NOT NULL,
    user_id    INTEGER,
    created_at INTEGER NOT NULL,
    revoked    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE tokens (
    hash       BLOB PRIMARY KEY,
    kind       INTEGER NOT NULL, -- 0 access, 1 refresh
    grant_id   INTEGER NOT NULL,
    scope      TEXT NOT NULL,
    issued_at  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked    INTEGER NOT NULL DEFAULT 0,
    used       INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX tokens_expiry ON tokens(expires_at);
CREATE INDEX tokens_grant ON tokens(grant_id);

CREATE TABLE codes (
    hash           BLOB PRIMARY KEY,
    client_id      TEXT NOT NULL,
    user_id        INTEGER NOT NULL,
    redirect_uri   TEXT NOT NULL,
    scope          TEXT NOT NULL,
    code_challenge TEXT,
    expires_at     INTEGER NOT NULL,
    used           INTEGER NOT NULL DEFAULT 0,
    grant_id       INTEGER
) WITHOUT ROWID;
CREATE INDEX codes_expiry ON codes(expires_at);

CREATE TABLE sessions (
    hash       BLOB PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_expiry ON sessions(expires_at);

CREATE TABLE restaurants (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    address       TEXT NOT NULL,
    opening_hours TEXT NOT NULL
);
