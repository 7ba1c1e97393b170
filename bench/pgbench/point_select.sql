-- Yardstick of introspection and of the Bearer resource: the store's
-- token lookup (token_select! in src/store/rows.rs, WHERE t.hash = $1) of
-- a random one of the :count live access tokens of bench/pgbench/setup.sql
-- (bench_hashes: token i has the hash sha256 of i as 8 bytes).
\set i random(1, :count)
SELECT t.kind, t.grant_id, g.client_id, g.user_id, u.username, t.scope,
       t.issued_at, t.expires_at,
       (t.revoked OR g.revoked OR c.client_id IS NULL OR COALESCE(u.disabled, false))
         AS revoked, t.used, g.oidc, t.audience, g.resources
FROM tokens t
JOIN grants g ON g.id = t.grant_id
LEFT JOIN clients c ON c.client_id = g.client_id
LEFT JOIN users u ON u.id = g.user_id
WHERE t.hash = sha256(int8send(:i::bigint));
