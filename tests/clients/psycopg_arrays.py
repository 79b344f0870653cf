"""Binds arrays through psycopg 3, in text (%s) and binary (%b) format, and
prints every answer (or the SQLSTATE of the error) as JSON, so that the test
can compare conversql's answers with PostgreSQL's.

usage: psycopg_arrays.py PORT USER DBNAME
"""
import datetime
import json
import sys

import psycopg

port, user, dbname = sys.argv[1], sys.argv[2], sys.argv[3]

CASES = [
    ("SELECT %s::text[]", [["v", "m"]]),
    ("SELECT %b::text[]", [["v", "m"]]),
    ("SELECT %s::text[]", [["a,b", "NULL", None, 'q"\\', "", " x "]]),
    ("SELECT %b::text[]", [["a,b", "NULL", None, 'q"\\', "", " x "]]),
    ("SELECT %s::int[]", [[1, None, -3]]),
    ("SELECT %b::int8[]", [[2**40, None]]),
    ("SELECT %s::float8[]", [[1.5, -0.25]]),
    ("SELECT %b::float8[]", [[1.5, -0.25]]),
    ("SELECT %s::bool[]", [[True, None, False]]),
    ("SELECT %b::bool[]", [[True, None, False]]),
    ("SELECT %s::date[]", [[datetime.date(2026, 1, 2), None]]),
    ("SELECT %b::date[]", [[datetime.date(2026, 1, 2), None]]),
    ("SELECT %s::timestamp[]", [[datetime.datetime(2026, 1, 2, 3, 4, 5, 600000)]]),
    ("SELECT %b::timestamp[]", [[datetime.datetime(2026, 1, 2, 3, 4, 5, 600000)]]),
    ("SELECT %s::text[]", [[]]),
    ("SELECT %b::int[]", [[]]),
    ("SELECT %s::text[] IS NULL", [None]),
    ("SELECT 'a' = ANY(%s)", [["a", "b"]]),
    ("SELECT 'c' = ANY(%b)", [["a", "b"]]),
    ("SELECT 'c' = ANY(%s)", [["a", None]]),
    ("SELECT 2 <> ALL(%s)", [[1, 3]]),
    ("SELECT 2 <> ALL(%b)", [[1, 2]]),
    ("SELECT ARRAY['a','b'] @> %s::text[]", [["b"]]),
    ("SELECT ARRAY['a','b'] && %b::text[]", [["c", None]]),
    ("SELECT cardinality(%s::text[])", [["x", "y", "z"]]),
    # Malformed: a text that is not an array, an element that is not an integer.
    ("SELECT %s::text[]", ["v,m"]),
    ("SELECT %s::int[]", ["{1,x}"]),
]

out = []
with psycopg.connect(f"host=127.0.0.1 port={port} user={user} dbname={dbname}", autocommit=True) as conn:
    for sql, params in CASES:
        try:
            row = conn.execute(sql, params).fetchone()
            value = row[0]
            if isinstance(value, list):
                value = [v if v is None or isinstance(v, (str, int, float, bool)) else str(v) for v in value]
            out.append({"sql": sql, "value": value})
        except psycopg.Error as e:
            out.append({"sql": sql, "sqlstate": e.sqlstate})
print(json.dumps(out))
