-- Output column names of statements that do not name their columns.
SELECT 1;
SELECT 1 + 1;
SELECT 'a';
SELECT count(*) FROM (VALUES (1)) AS t(x);
SELECT sum(x) FROM (VALUES (1)) AS t(x);
SELECT upper('a');
SELECT CAST(1 AS TEXT);
SELECT 1::int8;
SELECT x FROM (VALUES (1)) AS t(x);
SELECT now() IS NOT NULL;
SELECT CASE WHEN true THEN 1 END;
SELECT coalesce(NULL, 1);
SELECT EXTRACT(YEAR FROM DATE '2026-06-07');
SELECT NULL, NULL;
