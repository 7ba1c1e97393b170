-- Codes for one run of exchange.sql (psql):
--   psql -v client=CLIENT_ID -v redirect_uri=URI -v verifier=V -v base=B -v count=N \
--        -f bench/pgbench/code_pool.sql URL
-- Code i (B < i <= B + N) has the hash sha256 of i as 8 bytes, for user 1
-- with scope 'profile' and the PKCE S256 challenge of V, as the fixtures
-- `codes` pool creates them.
\set ON_ERROR_STOP on
INSERT INTO codes (hash, client_id, user_id, redirect_uri, redirect_uri_given, scope,
                   code_challenge, expires_at)
SELECT sha256(int8send(:base + i)), :'client', 1, :'redirect_uri', true, 'profile',
       rtrim(translate(encode(sha256(convert_to(:'verifier', 'UTF8')), 'base64'), '+/', '-_'), '='),
       extract(epoch FROM now())::bigint + 3600
FROM generate_series(1, :count) i;
