-- Operating Portcullis (issue 18); see migrations/sqlite/0008_operations.sql.
CREATE TABLE admin_keys (
    name       TEXT PRIMARY KEY,
    key_hash   TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
CREATE TABLE audit_events (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at        BIGINT NOT NULL,
    kind      TEXT NOT NULL,
    actor     TEXT NOT NULL,
    client_id TEXT,
    address   TEXT,
    outcome   TEXT NOT NULL,
    detail    TEXT
);
CREATE INDEX audit_events_at ON audit_events(at);
ALTER TABLE users ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE clients ADD COLUMN previous_secret_hash TEXT;
ALTER TABLE clients ADD COLUMN previous_secret_expires_at BIGINT;
-- Listing a user's grants (admin API) and revoking them all (disabling)
-- use grants_user (user_id, client_id), made by 0006.
