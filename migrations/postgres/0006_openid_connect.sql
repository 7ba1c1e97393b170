-- OpenID Connect (issue 16).
-- RP-Initiated Logout 1.0 §3.1: where a client may send the browser after
-- logout (a JSON array, exact match).
ALTER TABLE clients ADD COLUMN post_logout_redirect_uris TEXT NOT NULL DEFAULT '[]';
-- OpenID Connect Registration §2: how a client's ID tokens and UserInfo
-- answers are signed; RFC 9068 access tokens for the clients that ask.
ALTER TABLE clients ADD COLUMN id_token_signed_response_alg TEXT NOT NULL DEFAULT 'RS256';
ALTER TABLE clients ADD COLUMN userinfo_signed_response_alg TEXT;
ALTER TABLE clients ADD COLUMN access_token_format TEXT NOT NULL DEFAULT 'opaque';
-- Core §5.1 standard claims, as a JSON object.
ALTER TABLE users ADD COLUMN claims TEXT NOT NULL DEFAULT '{}';
-- What a code and its grant hand on to their ID tokens (auth_time, amr,
-- nonce, the claims request), as JSON; NULL for plain OAuth.
ALTER TABLE codes ADD COLUMN oidc TEXT;
ALTER TABLE grants ADD COLUMN oidc TEXT;
-- Signing keys, every node's: the private key sealed with the
-- key-encryption key the operator supplies, never in clear.
CREATE TABLE signing_keys (
    kid               TEXT PRIMARY KEY,
    alg               TEXT NOT NULL,
    public_jwk        TEXT NOT NULL,
    encrypted_private BYTEA NOT NULL,
    created_at        BIGINT NOT NULL,
    activates_at      BIGINT NOT NULL,
    retires_at        BIGINT,
    removes_at        BIGINT
);
-- Consent remembered per user and client (Core §3.1.2.4): the scopes the
-- user allowed, asked again only for new ones or with prompt=consent.
CREATE TABLE consents (
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    client_id  TEXT NOT NULL,
    scope      TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, client_id)
);
-- Revoking an application ends the grants of one user and client.
CREATE INDEX grants_user ON grants(user_id, client_id);
