-- overview_daily(account_id, start_date, end_date, group_by): for every local
-- date of [start_date, end_date], one row per group seen anywhere in the range
-- (0 where the group had no conversation that day), ordered by date and group.
-- $1 is the account_id; {start_date}, {end_date} are DATE literals; {counts}
-- is the per-day, per-group count query chosen by group_by. "group" is cast to
-- Utf8, the type the table function declares (tags are Utf8View).
WITH counts AS (
    {counts}
),
days AS (
    SELECT CAST(d AS DATE) AS "date"
    FROM (SELECT unnest(generate_series({start_date}, {end_date}, INTERVAL '1' DAY)) AS d) AS series
),
seen_groups AS (
    -- Utf8, the type overview_daily declares (tags are Utf8View).
    SELECT DISTINCT arrow_cast("group", 'Utf8') AS "group" FROM counts
)
SELECT d."date", g."group", coalesce(c.conversations, 0) AS conversations
FROM days AS d
CROSS JOIN seen_groups AS g
LEFT JOIN counts AS c ON c."date" = d."date" AND c."group" IS NOT DISTINCT FROM g."group"
ORDER BY d."date", g."group" NULLS LAST
