-- The security review (issue 12).
-- A resource server may introspect every token (README, "Introspection").
ALTER TABLE clients ADD COLUMN resource_server INTEGER NOT NULL DEFAULT 0;
-- RFC 6749 §4.1.3: redirect_uri is required at the token endpoint exactly
-- when the authorization request carried it. Codes issued before this
-- migration are treated as if it had.
ALTER TABLE codes ADD COLUMN redirect_uri_given INTEGER NOT NULL DEFAULT 1;
-- Deleting a client, and re-creating one under a freed id, find its grants.
CREATE INDEX grants_client ON grants(client_id);
-- Counter keys are now fixed-size hashes; the old text keys would only
-- linger until their window closed.
DELETE FROM failed_attempts;
-- Keys the server derives its CSRF tokens from, the same on every node.
CREATE TABLE server_secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
) WITHOUT ROWID;
