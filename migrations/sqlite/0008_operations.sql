-- Operating Portcullis (issue 18).
-- Keys of the admin API: 256 random bits each, stored only as SHA-256
-- (like server-generated client secrets). Revoking a key deletes it.
CREATE TABLE admin_keys (
    name       TEXT PRIMARY KEY,
    key_hash   TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;
-- Security events (README, "Audit events"); never a secret in a row.
CREATE TABLE audit_events (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    kind      TEXT NOT NULL,
    actor     TEXT NOT NULL,
    client_id TEXT,
    address   TEXT,
    outcome   TEXT NOT NULL,
    detail    TEXT
);
CREATE INDEX audit_events_at ON audit_events(at);
-- A disabled user signs in nowhere and holds no live token.
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
-- Secret rotation: the previous secret keeps working until it expires.
ALTER TABLE clients ADD COLUMN previous_secret_hash TEXT;
ALTER TABLE clients ADD COLUMN previous_secret_expires_at INTEGER;
-- Listing a user's grants (admin API) and revoking them all (disabling)
-- use grants_user (user_id, client_id), made by 0006.
