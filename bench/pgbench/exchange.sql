-- Yardstick of authorization_code: what one code exchange does in the
-- database, as src/oauth/grants/authorization_code.rs and
-- src/store/postgres/grants.rs do it: the read of the code (store.code),
-- then exchange_code's one statement that claims it (taking the grant's id
-- from the sequence, which links the code), creates the grant of :client
-- (-D client=…) for user 1 and adds its access and refresh tokens. Each
-- transaction exchanges a code of its own: code i of
-- bench/pgbench/code_pool.sql (-D base=… -D clients=… -D n=0; n counts
-- this client's transactions). A claim that finds nothing writes nothing;
-- bench/run.sh counts the claimed codes to see it.
\set n :n + 1
\set i :base + (:n - 1) * :clients + :client_id + 1
SELECT client_id, user_id, redirect_uri, redirect_uri_given, scope, code_challenge,
       expires_at, used, grant_id, oidc, resources
FROM codes WHERE hash = sha256(int8send(:i::bigint));
WITH claim AS (
  UPDATE codes
  SET used = true, grant_id = nextval(pg_get_serial_sequence('grants', 'id'))
  WHERE hash = sha256(int8send(:i::bigint)) AND NOT used
  RETURNING grant_id
), g AS (
  INSERT INTO grants (id, client_id, user_id, created_at, oidc, resources)
  OVERRIDING SYSTEM VALUE
  SELECT grant_id, :client::text, 1, extract(epoch FROM now())::bigint, NULL, NULL FROM claim
  RETURNING id
), t AS (
  INSERT INTO tokens (hash, kind, scope, issued_at, expires_at, audience, grant_id)
  SELECT hash, kind, scope, issued_at, expires_at, audience, g.id
  FROM g, UNNEST(ARRAY[sha256(uuid_send(gen_random_uuid())),
                       sha256(uuid_send(gen_random_uuid()))]::bytea[],
                 ARRAY[0, 1]::smallint[], ARRAY['profile', 'profile']::text[],
                 ARRAY[extract(epoch FROM now())::bigint,
                       extract(epoch FROM now())::bigint]::bigint[],
                 ARRAY[extract(epoch FROM now())::bigint + 3600,
                       extract(epoch FROM now())::bigint + 86400]::bigint[],
                 ARRAY[NULL, NULL]::text[])
       AS t(hash, kind, scope, issued_at, expires_at, audience)
)
SELECT id FROM g;
