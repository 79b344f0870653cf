-- Arrays: literals, ARRAY[], containment and overlap, ANY/ALL, unnest, array_agg, cardinality.
SELECT ARRAY[1, 2, 3] AS a;
SELECT ARRAY['a', 'b'] AS a;
SELECT '{a,b,c}'::text[] AS a;
SELECT '{1,2,3}'::int[] AS a;
SELECT ARRAY[1, 2, 3] @> ARRAY[2] AS b;
SELECT ARRAY[2] <@ ARRAY[1, 2, 3] AS b;
SELECT ARRAY[1, 2] && ARRAY[2, 3] AS b;
SELECT ARRAY['returns', 'vip'] @> ARRAY['returns'] AS b;
SELECT '{returns,vip}'::text[] @> '{returns}'::text[] AS b;
SELECT 2 = ANY(ARRAY[1, 2, 3]) AS b;
SELECT 5 = ANY(ARRAY[1, 2, 3]) AS b;
SELECT 5 > ALL(ARRAY[1, 2, 3]) AS b;
SELECT 'a' = ANY('{a,b}'::text[]) AS b;
SELECT cardinality(ARRAY[1, 2, 3]) AS n;
SELECT array_length(ARRAY[1, 2, 3], 1) AS n;
SELECT (ARRAY[10, 20, 30])[2] AS v;
SELECT array_position(ARRAY['a', 'b'], 'b') AS n;
SELECT array_append(ARRAY[1, 2], 3) AS a;
SELECT array_cat(ARRAY[1], ARRAY[2, 3]) AS a;
SELECT ARRAY[1, 2] || ARRAY[3] AS a;
SELECT array_remove(ARRAY[1, 2, 1], 1) AS a;
SELECT array_to_string(ARRAY['a', 'b', 'c'], ',') AS s;
SELECT string_to_array('a,b,c', ',') AS a;
SELECT regexp_match('order #1234 shipped', '#(\d+)') AS m;
SELECT x AS x FROM unnest(ARRAY[3, 1, 2]) AS t(x) ORDER BY x;
SELECT x AS x FROM unnest('{a,b}'::text[]) AS t(x) ORDER BY x;
SELECT array_agg(x ORDER BY x) AS a FROM (VALUES (3), (1), (2)) AS t(x);
SELECT array_agg(DISTINCT x ORDER BY x) AS a FROM (VALUES ('b'), ('a'), ('b')) AS t(x);
SELECT g AS g, array_agg(x ORDER BY x) AS xs FROM (VALUES ('a', 2), ('a', 1), ('b', 3)) AS t(g, x) GROUP BY g ORDER BY g;
SELECT ARRAY[]::text[] AS a;
SELECT cardinality(ARRAY[]::int[]) AS n;
SELECT ARRAY[1, NULL, 3] AS a;
-- params: text[] {returns,vip}
SELECT $1 AS a;
-- params: text[] {returns,vip}
SELECT $1 @> ARRAY['returns'] AS b;
-- params: int4[] {1,2,3}
SELECT 2 = ANY($1) AS b;
-- params: int8[] {5,6}
SELECT cardinality($1) AS n;
SELECT array_remove(ARRAY['a', NULL, 'b', NULL], NULL) AS a;
SELECT array_remove(ARRAY['a', 'b', 'a'], 'a') AS a;
