-- The security review (issue 12).
-- A resource server may introspect every token (README, "Introspection").
ALTER TABLE clients ADD COLUMN resource_server BOOLEAN NOT NULL DEFAULT false;
-- RFC 6749 §4.1.3: redirect_uri is required at the token endpoint exactly
-- when the authorization request carried it. Codes issued before this
-- migration are treated as if it had.
ALTER TABLE codes ADD COLUMN redirect_uri_given BOOLEAN NOT NULL DEFAULT true;
-- Deleting a client, and re-creating one under a freed id, find its grants.
CREATE INDEX grants_client ON grants(client_id);
-- Counter keys are now fixed-size hashes (a long username could exceed
-- the B-tree row limit, SQLSTATE 54000); the old text keys would only
-- linger until their window closed.
DELETE FROM failed_attempts;
-- Keys the server derives its CSRF tokens from, the same on every node.
CREATE TABLE server_secrets (
    name  TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);
