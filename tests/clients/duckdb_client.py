"""DuckDB's PostgreSQL scanner (the postgres_scanner extension, from PyPI's
duckdb-extension-postgres-scanner: DuckDB downloads extensions from its own
server otherwise): ATTACH the database read-only, list what it attached,
describe a view and scan it in the scanner's text-protocol mode
(`pg_use_text_protocol`, the mode for servers that are not PostgreSQL
itself); then, in the scanner's default mode (binary `COPY (…) TO STDOUT
(FORMAT "binary")`), scan the attached view and read a query through
`postgres_query`. (The scanner reads a relation with pages in `ctid`
ranges; conversql's relations have none, `relpages` 0, as PostgreSQL's
views.) Runs in DuckDB's own environment (tests/clients/venvs/duckdb.txt).
Prints what it read as JSON for tests/integration/clients.rs, which
compares it with plain queries."""

import os

import duckdb
import duckdb_extension_postgres_scanner as scanner

from _conn import ACCOUNT, DBNAME, HOST, PORT, USER, plain, emit

extension = os.path.join(
    os.path.dirname(scanner.__file__), "extensions", f"v{duckdb.__version__}",
    "postgres_scanner.duckdb_extension",
)
out = {"duckdb": duckdb.__version__}
con = duckdb.connect()
con.execute(f"LOAD '{extension}'")
con.execute("SET pg_use_text_protocol = true")
con.execute(
    f"ATTACH 'host={HOST} port={PORT} user={USER} dbname={DBNAME}' AS pg (TYPE postgres, READ_ONLY)"
)
out["views"] = sorted(
    r[0] for r in con.execute(
        "SELECT view_name FROM duckdb_views() WHERE database_name = 'pg' AND schema_name = 'public'"
    ).fetchall()
) + sorted(
    r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 'pg' AND schema_name = 'public'"
    ).fetchall()
)
out["columns"] = [
    [r[0], r[1]] for r in con.execute("DESCRIBE pg.public.conversations").fetchall()
]
out["scan"] = [
    plain(list(r)) for r in con.execute(
        "SELECT conversation_id, status, message_count FROM pg.public.conversations "
        f"WHERE account_id = '{ACCOUNT}' ORDER BY conversation_id LIMIT 10"
    ).fetchall()
]
out["aggregate"] = [
    plain(list(r)) for r in con.execute(
        "SELECT status, count(*) FROM pg.public.conversations "
        f"WHERE account_id = '{ACCOUNT}' GROUP BY status ORDER BY status"
    ).fetchall()
]
con.close()

# The default mode: binary COPY.
con = duckdb.connect()
con.execute(f"LOAD '{extension}'")
con.execute("SET TimeZone = 'UTC'")
con.execute(
    f"ATTACH 'host={HOST} port={PORT} user={USER} dbname={DBNAME}' AS pg (TYPE postgres, READ_ONLY)"
)
out["binary_scan"] = [
    plain(list(r)) for r in con.execute(
        "SELECT conversation_id, status, message_count FROM pg.public.conversations "
        f"WHERE account_id = '{ACCOUNT}' ORDER BY conversation_id LIMIT 10"
    ).fetchall()
]
query = (
    "SELECT conversation_id, status, message_count, "
    "CAST(message_count AS numeric(12,2)) / 4 AS quarter, started_date, started_at, first_question "
    f"FROM conversations WHERE account_id = '{ACCOUNT}' ORDER BY conversation_id LIMIT 10"
).replace("'", "''")
out["binary_query"] = [
    plain(list(r)) for r in con.execute(
        "SELECT conversation_id, status, message_count, quarter, started_date, "
        "CAST(started_at AS VARCHAR), first_question "
        f"FROM postgres_query('pg', '{query}')"
    ).fetchall()
]
con.close()
emit(out)
