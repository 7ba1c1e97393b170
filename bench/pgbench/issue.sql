-- Yardstick of client_credentials: the one statement of issue_grant in
-- src/store/postgres/grants.rs as a node sends it for a cached client: a
-- grant of the client :client (-D client=…) for no user, inserted only if
-- the client is still at its version :version (-D version=…), with one
-- opaque access token (kind 0, scope 'profile', a random 32-byte hash),
-- issued now. Arrays inline instead of bound: the same plan.
WITH g AS (
  INSERT INTO grants (client_id, user_id, created_at, oidc, resources)
  SELECT :client, NULL, extract(epoch FROM now())::bigint, NULL, NULL
  WHERE :version::bigint IS NULL
     OR EXISTS (SELECT 1 FROM clients WHERE client_id = :client AND version = :version)
  RETURNING id
), t AS (
  INSERT INTO tokens (hash, kind, scope, issued_at, expires_at, audience, grant_id)
  SELECT hash, kind, scope, issued_at, expires_at, audience, g.id
  FROM g, UNNEST(ARRAY[sha256(uuid_send(gen_random_uuid()))]::bytea[],
                 ARRAY[0]::smallint[], ARRAY['profile']::text[],
                 ARRAY[extract(epoch FROM now())::bigint]::bigint[],
                 ARRAY[extract(epoch FROM now())::bigint + 3600]::bigint[],
                 ARRAY[NULL]::text[])
       AS t(hash, kind, scope, issued_at, expires_at, audience)
)
SELECT id FROM g;
