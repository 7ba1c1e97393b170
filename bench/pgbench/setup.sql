-- The pgbench yardsticks' fixed data, in the benchmark database (psql):
--   psql -v client=CLIENT_ID -v count=N -f bench/pgbench/setup.sql URL
-- bench_hashes(i, hash): N access-token hashes, sha256 of i as 8 bytes,
-- and as many live access tokens (kind 0, scope 'profile', each in its
-- own grant of CLIENT for user 1, as the fixtures `access` pool mints
-- them) for point_select.sql, which draws i at random and computes the
-- same hash in the statement's parameter, so that its one statement is
-- the server's lookup and nothing more.
\set ON_ERROR_STOP on
CREATE TABLE bench_hashes (i int PRIMARY KEY, hash bytea NOT NULL);
INSERT INTO bench_hashes SELECT i, sha256(int8send(i)) FROM generate_series(1, :count) i;
WITH g AS (
    INSERT INTO grants (client_id, user_id, created_at)
    SELECT :'client', 1, extract(epoch FROM now())::bigint FROM generate_series(1, :count)
    RETURNING id
), n AS (SELECT id, row_number() OVER (ORDER BY id) AS i FROM g)
INSERT INTO tokens (hash, kind, grant_id, scope, issued_at, expires_at)
SELECT h.hash, 0, n.id, 'profile', extract(epoch FROM now())::bigint,
       extract(epoch FROM now())::bigint + 86400
FROM n JOIN bench_hashes h USING (i);
ANALYZE bench_hashes;
