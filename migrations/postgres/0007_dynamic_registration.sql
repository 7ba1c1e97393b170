-- Dynamic Client Registration (RFC 7591) and Client Management (RFC 7592),
-- issue 17.
-- Who registered a client: operator, user (owner_id names them),
-- metadata_document or dynamic (the client itself). Until now a client
-- without an owner was the operator's.
ALTER TABLE clients ADD COLUMN registrant TEXT NOT NULL DEFAULT 'operator';
UPDATE clients SET registrant = 'user' WHERE owner_id IS NOT NULL;

-- RFC 7591 §3: the operator's permissions to register, handed to clients
-- out of band. Only the key (id and SHA-256) of each token is stored.
CREATE TABLE initial_access_tokens (
    id         TEXT PRIMARY KEY,
    hash       BYTEA NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    uses_left  BIGINT NOT NULL
);

-- RFC 7592: each self-registered client's registration access token (its
-- key) and application_type. `used` is set by the purge once the client
-- has held a grant, so that a client whose grants have since been purged
-- is not taken for one that never obtained a token.
CREATE TABLE client_registrations (
    client_id        TEXT PRIMARY KEY REFERENCES clients(client_id) ON DELETE CASCADE,
    hash             BYTEA NOT NULL UNIQUE,
    application_type TEXT NOT NULL,
    registered_at    BIGINT NOT NULL,
    used             BOOLEAN NOT NULL DEFAULT false
);
-- The purge looks for unused registrations by age.
CREATE INDEX client_registrations_unused ON client_registrations(registered_at) WHERE NOT used;
