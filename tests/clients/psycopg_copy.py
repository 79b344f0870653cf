"""psycopg 3 reading a query through COPY in its default use: `cursor.copy`
of `COPY (…) TO STDOUT` in text format (rows as the text PostgreSQL's
output functions print) and of `COPY (…) TO STDOUT (FORMAT BINARY)` with
`set_types` and `read_row` (values decoded from their binary form). Prints
what each read as JSON for tests/integration/clients.rs, which compares it
with a plain query."""

import psycopg

from _conn import ACCOUNT, URI, instant, plain, emit

QUERY = (
    "SELECT conversation_id, status, message_count, "
    "CAST(message_count AS numeric(12,2)) / 4 AS quarter, started_date, started_at, first_question "
    f"FROM conversations WHERE account_id = '{ACCOUNT}' ORDER BY conversation_id LIMIT 10"
)
TYPES = ["text", "text", "int8", "numeric", "date", "timestamptz", "text"]

out = {}
with psycopg.connect(URI, autocommit=True) as conn:
    cur = conn.cursor()
    with cur.copy(f"COPY ({QUERY}) TO STDOUT") as copy:
        out["text"] = [list(r) for r in copy.rows()]
    rows = []
    with cur.copy(f"COPY ({QUERY}) TO STDOUT (FORMAT BINARY)") as copy:
        copy.set_types(TYPES)
        while (row := copy.read_row()) is not None:
            row = list(row)
            row[5] = instant(row[5])
            rows.append(plain(row))
    out["binary"] = rows
emit(out)
