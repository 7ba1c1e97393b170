-- Yardstick of refresh: what one rotation does in the database, as
-- src/oauth/grants/refresh_token.rs and src/store/postgres/grants.rs do it:
-- the read of the presented refresh token (store.token, token_select!),
-- then rotate_refresh's one statement that claims it and adds the new
-- access and refresh tokens to its grant. Each transaction presents a token
-- of its own, never presented before: token i of
-- bench/pgbench/refresh_pool.sql (-D base=… -D clients=… -D n=0; n counts
-- this client's transactions). A claim that finds nothing (an exhausted
-- pool) writes nothing; bench/run.sh counts the claimed tokens to see it.
\set n :n + 1
\set i :base + (:n - 1) * :clients + :client_id + 1
SELECT t.kind, t.grant_id, g.client_id, g.user_id, u.username, t.scope,
       t.issued_at, t.expires_at,
       (t.revoked OR g.revoked OR c.client_id IS NULL OR COALESCE(u.disabled, false))
         AS revoked, t.used, g.oidc, t.audience, g.resources
FROM tokens t
JOIN grants g ON g.id = t.grant_id
LEFT JOIN clients c ON c.client_id = g.client_id
LEFT JOIN users u ON u.id = g.user_id
WHERE t.hash = sha256(int8send(:i::bigint));
WITH claim AS (
  UPDATE tokens SET used = true
  WHERE hash = sha256(int8send(:i::bigint)) AND kind = 1 AND NOT used AND NOT revoked
    AND NOT EXISTS (SELECT 1 FROM grants g WHERE g.id = tokens.grant_id AND g.revoked)
  RETURNING grant_id AS id
), t AS (
  INSERT INTO tokens (hash, kind, scope, issued_at, expires_at, audience, grant_id)
  SELECT hash, kind, scope, issued_at, expires_at, audience, claim.id
  FROM claim, UNNEST(ARRAY[sha256(uuid_send(gen_random_uuid())),
                           sha256(uuid_send(gen_random_uuid()))]::bytea[],
                     ARRAY[0, 1]::smallint[], ARRAY['profile', 'profile']::text[],
                     ARRAY[extract(epoch FROM now())::bigint,
                           extract(epoch FROM now())::bigint]::bigint[],
                     ARRAY[extract(epoch FROM now())::bigint + 3600,
                           extract(epoch FROM now())::bigint + 86400]::bigint[],
                     ARRAY[NULL, NULL]::text[])
       AS t(hash, kind, scope, issued_at, expires_at, audience)
)
SELECT id FROM claim;
