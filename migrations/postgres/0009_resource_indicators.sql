-- RFC 8707 resource indicators (issue 17).
-- The protected resources the operator registered, each with the scopes
-- it understands (RFC 9728 scopes_supported).
CREATE TABLE resources (
    identifier TEXT PRIMARY KEY,
    scope      TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
-- What an authorization asked for, space-separated (NULL: nothing): the
-- tokens of the grant may be for these resources and no others.
ALTER TABLE codes ADD COLUMN resources TEXT;
ALTER TABLE grants ADD COLUMN resources TEXT;
-- The audience of one token, space-separated (NULL: no resource named).
ALTER TABLE tokens ADD COLUMN audience TEXT;
