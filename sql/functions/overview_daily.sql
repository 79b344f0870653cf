-- overview_daily(account_id, start_date, end_date, group_by): for every local
-- date of [start_date, end_date], one row per group seen anywhere in the range
-- (0 where the group had no conversation that day), ordered by date and group.
-- $1 is the account_id; {start_date}, {end_date} are DATE literals; {counts}
-- is the per-day, per-group count query chosen by group_by. "group" is cast to
-- Utf8, the type the table function declares (tags are Utf8View).
--
-- `counts` is read once: a CTE named twice is planned, and computed, twice.
-- So the grid of days × groups seen is made from the counts themselves: each
-- count stands on its own day, and the first count of each group also stands
-- on every day of the range, contributing 0 to the days that are not its own.
-- The rows made are linear in the days and the groups.
WITH counts AS (
    {counts}
),
marked AS (
    SELECT "date", "group", conversations,
           row_number() OVER (PARTITION BY "group" ORDER BY "date") = 1 AS first_of_group
    FROM counts
),
cells AS (
    SELECT unnest(generate_series(
               CASE WHEN first_of_group THEN {start_date} ELSE "date" END,
               CASE WHEN first_of_group THEN {end_date} ELSE "date" END,
               INTERVAL '1' DAY)) AS cell_day,
           "date", "group", conversations
    FROM marked
),
dated_cells AS (
    SELECT CAST(cell_day AS DATE) AS "day", "date", "group", conversations FROM cells
)
SELECT "day" AS "date", arrow_cast("group", 'Utf8') AS "group",
       CAST(sum(CASE WHEN "day" = "date" THEN conversations ELSE 0 END) AS BIGINT) AS conversations
FROM dated_cells
GROUP BY "day", "group"
ORDER BY 1, 2 NULLS LAST
