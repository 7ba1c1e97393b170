-- Failed-attempt counters for brute-force limits, shared by every node that
-- uses this database. One fixed window per key (a username, a client id or
-- a client address).
CREATE TABLE failed_attempts (
    key          TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL,
    count        INTEGER NOT NULL
) WITHOUT ROWID;
