-- OpenID Connect (issue 16).
-- RP-Initiated Logout 1.0 §3.1: where a client may send the browser after
-- logout (a JSON array, exact match).
ALTER TABLE clients ADD COLUMN post_logout_redirect_uris TEXT NOT NULL DEFAULT '[]';
