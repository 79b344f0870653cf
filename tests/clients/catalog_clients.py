"""Talks to a running conversql server through psycopg2, SQLAlchemy (inspect()),
pandas.read_sql, asyncpg and psycopg 3 (cursors, savepoints, read-only errors)
and prints what each read as JSON, for tests/integration/server.rs to check.

Usage: python3 catalog_clients.py PORT ACCOUNT START END AS_OF
"""

import asyncio
import datetime as dt
import json
import sys
import time

import asyncpg
import pandas as pd
import psycopg
import psycopg2
import sqlalchemy as sa

port, account, start, end, as_of = sys.argv[1:6]
start_date, end_date = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
PAGE = (
    "SELECT conversation_id, status, message_count FROM conversations "
    "WHERE account_id = {p} ORDER BY last_updated DESC, conversation_id LIMIT 5"
)
out = {}

# psycopg2: catalog listing, overview with bound parameters, a page of conversations.
conn = psycopg2.connect(host="127.0.0.1", port=port, dbname="conversql", user="analyst")
conn.autocommit = True
cur = conn.cursor()
cur.execute(f"SET conversql.as_of = '{as_of}'")
cur.execute("SELECT nspname FROM pg_catalog.pg_namespace ORDER BY nspname")
out["psycopg2_schemas"] = [r[0] for r in cur.fetchall()]
cur.execute("SELECT viewname FROM pg_catalog.pg_views WHERE schemaname = 'public' ORDER BY viewname")
out["psycopg2_views"] = [r[0] for r in cur.fetchall()]
cur.execute(
    "SELECT column_name FROM information_schema.columns "
    "WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position",
    ("conversations",),
)
out["psycopg2_columns"] = [r[0] for r in cur.fetchall()]
cur.execute("SELECT * FROM overview(%s, %s, %s)", (account, start_date, end_date))
total, resolved, percent, sales = cur.fetchone()
out["psycopg2_overview"] = [total, resolved, percent, str(sales)]
cur.execute(PAGE.format(p="%s"), (account,))
out["psycopg2_page"] = [list(r) for r in cur.fetchall()]
cur.execute("SELECT count(*), max(message_count) FROM conversations")
out["psycopg2_function_columns"] = [d.name for d in cur.description]
conn.close()

# SQLAlchemy 2.x inspect() (both drivers) and pandas.read_sql.
for driver in ("psycopg2", "psycopg"):
    engine = sa.create_engine(
        f"postgresql+{driver}://analyst@127.0.0.1:{port}/conversql",
        connect_args={"options": f"-c conversql.as_of={as_of}"} if driver == "never" else {},
    )
    insp = sa.inspect(engine)
    cols = insp.get_columns("conversations")
    out[f"sqlalchemy_{driver}"] = {
        "schemas": insp.get_schema_names(),
        "tables": insp.get_table_names(),
        "raw_tables": sorted(insp.get_table_names(schema="raw")),
        "views": sorted(insp.get_view_names()),
        "columns": [c["name"] for c in cols],
        "column_comments": [c.get("comment") for c in cols],
        "types": {c["name"]: str(c["type"]) for c in cols},
        "table_comment": insp.get_table_comment("conversations")["text"],
        "view_definition": insp.get_view_definition("conversations"),
    }
    engine.dispose()
engine = sa.create_engine(f"postgresql+psycopg2://analyst@127.0.0.1:{port}/conversql")
with engine.connect() as c:
    c.execute(sa.text(f"SET conversql.as_of = '{as_of}'"))
    frame = pd.read_sql(
        sa.text("SELECT * FROM overview(:account, :start, :end)"),
        c,
        params={"account": account, "start": start_date, "end": end_date},
    )
    out["pandas_overview_columns"] = list(frame.columns)
    row = frame.iloc[0]
    out["pandas_overview"] = [int(row.iloc[0]), int(row.iloc[1]), float(row.iloc[2]), str(row.iloc[3])]
    page = pd.read_sql(sa.text(PAGE.format(p=":account")), c, params={"account": account})
    out["pandas_page"] = [[r.conversation_id, r.status, int(r.message_count)] for r in page.itertuples()]
engine.dispose()


# asyncpg: extended protocol, binary results, its type introspection.
async def with_asyncpg():
    c = await asyncpg.connect(host="127.0.0.1", port=int(port), user="analyst", database="conversql")
    await c.execute(f"SET conversql.as_of = '{as_of}'")
    stmt = await c.prepare("SELECT * FROM overview($1, $2, $3)")
    out["asyncpg_parameter_types"] = [t.name for t in stmt.get_parameters()]
    out["asyncpg_overview_types"] = [a.type.name for a in stmt.get_attributes()]
    r = await stmt.fetchrow(account, start_date, end_date)
    out["asyncpg_overview"] = [r[0], r[1], r[2], str(r[3])]
    rows = await c.fetch(PAGE.format(p="$1"), account)
    out["asyncpg_page"] = [[r[0], r[1], r[2]] for r in rows]
    tags = await c.fetchval("SELECT tags FROM conversations WHERE account_id = $1 ORDER BY conversation_id LIMIT 1", account)
    out["asyncpg_tags_type"] = type(tags).__name__
    # int8[] and float8[] are not among asyncpg's built-in codecs: it sends its
    # type introspection query, then decodes the arrays with what it learned.
    stmt = await c.prepare(
        "SELECT array_agg(message_count ORDER BY conversation_id) AS counts, "
        "array_agg(CAST(message_count AS DOUBLE PRECISION) / 2 ORDER BY conversation_id) AS halves "
        "FROM conversations WHERE account_id = $1 AND started_date = $2"
    )
    out["asyncpg_introspected_types"] = [[a.type.name, a.type.kind, a.type.schema] for a in stmt.get_attributes()]
    counts, halves = await stmt.fetchrow(account, start_date)
    out["asyncpg_int8_array"] = counts
    out["asyncpg_float8_array"] = halves
    await c.close()


asyncio.run(with_asyncpg())

# psycopg 3: cursor commands (streamed from the server), savepoints, read-only refusals.
with psycopg.connect(f"host=127.0.0.1 port={port} dbname=conversql user=analyst") as conn:
    conn.execute(f"SET conversql.as_of = '{as_of}'")
    conn.execute("SAVEPOINT s1")
    conn.execute(
        "DECLARE page CURSOR WITH HOLD FOR "
        "SELECT conversation_id FROM conversations WHERE account_id = %s ORDER BY conversation_id",
        (account,),
    )
    first = conn.execute("FETCH 2 FROM page").fetchall()
    moved = conn.execute("MOVE FORWARD 3 IN page").statusmessage
    nxt = conn.execute("FETCH NEXT FROM page").fetchall()
    rest = conn.execute("FETCH ALL FROM page").fetchall()
    conn.execute("RELEASE SAVEPOINT s1")
    conn.execute("ROLLBACK TO SAVEPOINT s1")
    conn.execute("CLOSE page")
    # A cursor streams: ten billion rows are never produced, only those fetched.
    started = time.monotonic()
    conn.execute("DECLARE big CURSOR FOR SELECT value FROM generate_series(1, 10000000000) AS t(value)")
    big = [r[0] for r in conn.execute("FETCH 3 FROM big").fetchall()]
    big += [r[0] for r in conn.execute("FETCH FORWARD 2 FROM big").fetchall()]
    conn.execute("CLOSE big")
    out["cursor_stream"] = {"rows": big, "seconds": time.monotonic() - started}
    out["cursor"] = {"first": [r[0] for r in first], "moved": moved, "next": [r[0] for r in nxt], "rest": len(rest)}
    conn.commit()
    refused = {}
    for sql in ("CREATE TABLE t (a int)", "INSERT INTO raw.accounts (account_id) VALUES ('x')", "DELETE FROM raw.accounts"):
        try:
            conn.execute(sql)
            refused[sql] = "accepted"
        except psycopg.Error as e:
            refused[sql] = e.sqlstate
            conn.rollback()
    out["refused"] = refused
    try:
        with conn.cursor(name="named", binary=True) as named:
            named.execute("SELECT conversation_id FROM conversations WHERE account_id = %s ORDER BY conversation_id", (account,))
            out["named_cursor"] = len(named.fetchall())
    except psycopg.Error as e:
        out["named_cursor"] = f"{e.sqlstate}: {e}"
        conn.rollback()
print(json.dumps(out, default=str))
