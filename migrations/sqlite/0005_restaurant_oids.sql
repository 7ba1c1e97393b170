-- The Tornado seed's restaurant API (GET /restaurent) names restaurants by a
-- MongoDB ObjectId and shows their hours as {"open", "close"}. Each
-- restaurant gets a stable `oid` (24 lowercase hex digits), and its opening
-- hours are kept split: "Mon-Sat 12:00-23:00" becomes days "Mon-Sat",
-- opens "12:00", closes "23:00" (the time range is the last space-separated
-- word, cut at its first "-", both sides non-empty); hours without such a
-- range are all days, with empty times. OpeningHours::parse in
-- src/store/restaurant.rs splits the same way, and joining the parts gives
-- back the original string.
--
-- SQLite cannot add a NOT NULL UNIQUE column to a table with rows, so the
-- table is rebuilt (nothing refers to it).
CREATE TABLE restaurants_split (
    id      INTEGER PRIMARY KEY,
    oid     TEXT NOT NULL UNIQUE,
    name    TEXT NOT NULL UNIQUE,
    address TEXT NOT NULL,
    days    TEXT NOT NULL,
    opens   TEXT NOT NULL,
    closes  TEXT NOT NULL
);

INSERT INTO restaurants_split (id, oid, name, address, days, opens, closes)
SELECT id, lower(hex(randomblob(12))), name, address,
       CASE WHEN ranged THEN substr(head, 1, length(head) - 1) ELSE opening_hours END,
       CASE WHEN ranged THEN substr(times, 1, instr(times, '-') - 1) ELSE '' END,
       CASE WHEN ranged THEN substr(times, instr(times, '-') + 1) ELSE '' END
FROM (
    SELECT *, head <> '' AND instr(times, '-') > 1 AND instr(times, '-') < length(times)
              AS ranged
    FROM (
        SELECT *, substr(opening_hours, length(head) + 1) AS times
        FROM (
            -- Everything up to the last space, that space included: rtrim
            -- strips the trailing run of the string's non-space characters.
            SELECT *, rtrim(opening_hours, replace(opening_hours, ' ', '')) AS head
            FROM restaurants
        )
    )
);

DROP TABLE restaurants;
ALTER TABLE restaurants_split RENAME TO restaurants;
