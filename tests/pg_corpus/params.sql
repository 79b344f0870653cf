-- Bound parameters of every type (int2/4/8, float4/8, numeric, text, bool, date, timestamp, timestamptz, interval).
-- params: int2 7
SELECT $1 AS v;
-- params: int4 42
SELECT $1 AS v;
-- params: int8 9000000000
SELECT $1 AS v;
-- params: float4 1.5
SELECT $1 AS v;
-- params: float8 0.1
SELECT $1 AS v;
-- params: numeric 12.50
SELECT $1 AS v;
-- params: text 'hello'
SELECT $1 AS v;
-- params: bool true
SELECT $1 AS v;
-- params: date '2026-06-07'
SELECT $1 AS v;
-- params: timestamp '2026-06-07 10:30:00'
SELECT $1 AS v;
-- params: timestamptz '2026-06-07 10:30:00+00'
SELECT $1 AS v;
-- params: interval '1 day 02:00:00'
SELECT $1 AS v;
-- params: int4 5, int4 3
SELECT $1 + $2 AS sum, $1 * $2 AS product, $1 / $2 AS quotient;
-- params: int8 10, int4 4
SELECT $1 / $2 AS q, $1 % $2 AS r;
-- params: float8 2.5, int4 2
SELECT $1 * $2 AS v;
-- params: numeric 10, numeric 3
SELECT round($1 / $2, 4) AS v;
-- params: numeric 125, int4 241
SELECT $1 * 100 / $2 AS pct;
-- params: text 'a,b,c', int4 2
SELECT split_part($1, ',', $2) AS v;
-- params: text 'conversation'
SELECT upper($1) AS u, length($1) AS n;
-- params: text 'O''Brien'
SELECT $1 || '!' AS v;
-- params: text null
SELECT coalesce($1, 'none') AS v;
-- params: int4 null
SELECT $1 IS NULL AS b;
-- params: bool false
SELECT NOT $1 AS b;
-- params: date '2026-06-07', int4 3
SELECT $1 + $2 AS d;
-- params: date '2026-06-07', date '2026-06-01'
SELECT $1 - $2 AS days;
-- params: date '2026-06-01', date '2026-06-07'
SELECT count(*) AS n FROM generate_series($1::timestamp, $2::timestamp, INTERVAL '1 day') AS g(d);
-- params: timestamp '2026-06-07 10:30:00', interval '2 hours'
SELECT $1 + $2 AS ts;
-- params: timestamptz '2026-06-07 10:30:00+00'
SELECT $1 AT TIME ZONE 'America/New_York' AS local_ts;
-- params: timestamptz '2026-06-07 10:30:45.5+00'
SELECT date_trunc('hour', $1) AS t;
-- params: timestamp '2026-06-07 10:30:45'
SELECT EXTRACT(HOUR FROM $1) AS h;
-- params: interval '90 minutes'
SELECT EXTRACT(EPOCH FROM $1) AS e;
-- params: interval '3 hours', int4 2
SELECT $1 * $2 AS iv;
-- params: date '2026-06-07'
SELECT to_char($1, 'YYYY-MM') AS s;
-- params: int4 2
SELECT x AS x FROM generate_series(1, 5) AS g(x) WHERE x > $1 ORDER BY x;
-- params: text 'b'
SELECT x AS x FROM (VALUES ('a'), ('b'), ('c')) AS t(x) WHERE x >= $1 ORDER BY x;
-- params: int4 1, int4 3
SELECT x AS x FROM generate_series(1, 5) AS g(x) WHERE x BETWEEN $1 AND $2 ORDER BY x;
-- params: text 'a%'
SELECT x AS x FROM (VALUES ('ab'), ('ba')) AS t(x) WHERE x LIKE $1;
-- params: int2 3, int8 4
SELECT $1 + $2 AS v;
-- params: float4 0.5, float8 0.25
SELECT $1 + $2 AS v;
-- params: numeric 1.005, int4 2
SELECT round($1, $2) AS v;
-- params: bool true, text 'yes', text 'no'
SELECT CASE WHEN $1 THEN $2 ELSE $3 END AS v;
