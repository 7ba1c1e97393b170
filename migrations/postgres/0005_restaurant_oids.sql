-- The Tornado seed's restaurant API (GET /restaurent) names restaurants by a
-- MongoDB ObjectId and shows their hours as {"open", "close"}. Each
-- restaurant gets a stable `oid` (24 lowercase hex digits), and its opening
-- hours are kept split: "Mon-Sat 12:00-23:00" becomes days "Mon-Sat",
-- opens "12:00", closes "23:00" (the time range is the last space-separated
-- word, cut at its first "-", both sides non-empty); hours without such a
-- range are all days, with empty times. OpeningHours::parse in
-- src/store/restaurant.rs splits the same way, and joining the parts gives
-- back the original string. New rows get their oid from the server.

ALTER TABLE restaurants
    ADD COLUMN oid    TEXT,
    ADD COLUMN days   TEXT,
    ADD COLUMN opens  TEXT NOT NULL DEFAULT '',
    ADD COLUMN closes TEXT NOT NULL DEFAULT '';

UPDATE restaurants
SET oid = left(md5(random()::text || restaurants.id::text), 24),
    days = coalesce(split.parts[1], restaurants.opening_hours),
    opens = coalesce(split.parts[2], ''),
    closes = coalesce(split.parts[3], '')
FROM (
    SELECT id, regexp_match(opening_hours, '^(.*) ([^ -]+)-([^ ]+)$') AS parts
    FROM restaurants
) AS split
WHERE split.id = restaurants.id;

ALTER TABLE restaurants
    ALTER COLUMN oid SET NOT NULL,
    ADD CONSTRAINT restaurants_oid_key UNIQUE (oid),
    ALTER COLUMN days SET NOT NULL,
    ALTER COLUMN opens DROP DEFAULT,
    ALTER COLUMN closes DROP DEFAULT,
    DROP COLUMN opening_hours;
