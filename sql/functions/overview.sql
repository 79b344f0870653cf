-- overview(account_id, start_date, end_date): the four overview metrics for
-- one account over the inclusive range of local dates [start_date, end_date].
-- $1 is the account_id; {start_date} and {end_date} are DATE literals.
SELECT
    v.total_volume,
    v.resolved_by_ai,
    CASE
        WHEN v.total_volume = 0 THEN CAST(NULL AS DOUBLE)
        ELSE CAST(v.resolved_by_ai AS DOUBLE) / CAST(v.total_volume AS DOUBLE) * 100.0
    END AS percent_resolved_by_ai,
    s.ai_generated_sales
FROM (
    SELECT
        count(*) AS total_volume,
        count(*) FILTER (WHERE status = 'Resolved') AS resolved_by_ai
    FROM conversations
    WHERE account_id = $1 AND started_date BETWEEN {start_date} AND {end_date}
) AS v
CROSS JOIN (
    SELECT CAST(coalesce(sum(value), 0) AS DECIMAL(38, 2)) AS ai_generated_sales
    FROM attributed_orders
    WHERE account_id = $1 AND placed_date BETWEEN {start_date} AND {end_date}
) AS s
