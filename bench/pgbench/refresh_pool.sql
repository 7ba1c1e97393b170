-- Refresh tokens for one run of rotate.sql (psql):
--   psql -v client=CLIENT_ID -v base=B -v count=N -f bench/pgbench/refresh_pool.sql URL
-- Token i (B < i <= B + N) has the hash sha256 of i as 8 bytes; each is
-- in its own grant of CLIENT for user 1, as the fixtures `refresh` pool
-- mints them (with its access token, as the password grant issues both).
\set ON_ERROR_STOP on
WITH g AS (
    INSERT INTO grants (client_id, user_id, created_at)
    SELECT :'client', 1, extract(epoch FROM now())::bigint FROM generate_series(1, :count)
    RETURNING id
), n AS (SELECT id, row_number() OVER (ORDER BY id) AS i FROM g)
INSERT INTO tokens (hash, kind, grant_id, scope, issued_at, expires_at)
SELECT t.hash, t.kind, n.id, 'profile', extract(epoch FROM now())::bigint,
       extract(epoch FROM now())::bigint + 86400
FROM n, LATERAL (VALUES (sha256(int8send(:base + n.i)), 1::smallint),
                        (sha256(uuid_send(gen_random_uuid())), 0::smallint)) AS t(hash, kind);
