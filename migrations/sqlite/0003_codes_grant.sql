-- The purge deletes a grant once nothing refers to it; this finds the code
-- that refers to one without scanning the codes.
CREATE INDEX codes_grant ON codes(grant_id);
