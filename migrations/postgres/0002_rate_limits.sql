-- Failed-attempt counters for brute-force limits, shared by every node that
-- uses this database. One fixed window per key (a username, a client id or
-- a client address).
CREATE TABLE failed_attempts (
    key          TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    count        BIGINT NOT NULL
);
-- The purge finds closed windows by start time.
CREATE INDEX failed_attempts_window ON failed_attempts(window_start);
