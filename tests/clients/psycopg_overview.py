"""Talks to a running conversql server through psycopg 3 and prints what it read as JSON.

Usage: python3 psycopg_overview.py PORT ACCOUNT START END AS_OF
Runs the overview and a page of the conversations table with bound parameters,
once with text results and once with binary results, plus SET/SHOW of
conversql.as_of and an error that must leave the connection usable.
"""

import datetime as dt
import json
import sys

import psycopg

port, account, start, end, as_of = sys.argv[1:6]
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def micros(t):
    assert t.tzinfo is not None, f"timestamptz must arrive zone-aware, got {t!r}"
    return (t - EPOCH) // dt.timedelta(microseconds=1)


out = {}
with psycopg.connect(f"host=127.0.0.1 port={port} dbname=conversql user=analyst", autocommit=True) as conn:
    conn.execute("SET conversql.as_of = '2026-01-01T00:00:00Z'")
    conn.execute(f"SET conversql.as_of = '{as_of}'")
    out["as_of"] = conn.execute("SHOW conversql.as_of").fetchone()[0]
    for binary in (False, True):
        cur = conn.cursor(binary=binary)
        cur.execute(
            "SELECT total_volume, resolved_by_ai, percent_resolved_by_ai, ai_generated_sales "
            "FROM overview(%s, %s, %s)",
            (account, dt.date.fromisoformat(start), dt.date.fromisoformat(end)),
        )
        total, resolved, percent, sales = cur.fetchone()
        assert isinstance(total, int) and isinstance(percent, float), (total, percent)
        out[f"overview_{'binary' if binary else 'text'}"] = [total, resolved, percent, str(sales)]
        cur.execute(
            "SELECT conversation_id, status, started_date, tags, last_updated, message_count "
            "FROM conversations WHERE account_id = %s ORDER BY last_updated DESC, conversation_id LIMIT 5",
            (account,),
        )
        rows = []
        for cid, status, started, tags, updated, count in cur.fetchall():
            assert isinstance(started, dt.date) and isinstance(tags, list), (started, tags)
            rows.append([cid, status, started.isoformat(), tags, micros(updated), count])
        out[f"page_{'binary' if binary else 'text'}"] = rows
    try:
        conn.execute("SELECT * FROM overview_daily(%s, %s, %s, 'weekday')", (account, start, end))
        out["bad_grouping"] = "no error"
    except psycopg.Error as e:
        out["bad_grouping"] = [e.sqlstate, str(e).splitlines()[0]]
    out["after_error"] = conn.execute("SELECT count(*) FROM conversations WHERE account_id = %s", (account,)).fetchone()[0]
print(json.dumps(out))
