"""pg8000 (pure-Python driver, extended protocol, text parameters): the
catalog, bound parameters and typed rows. Prints what it read as JSON for
tests/integration/clients.rs, which compares it with plain queries."""

import datetime as dt

import pg8000.dbapi
import pg8000.native

from _conn import ACCOUNT, DBNAME, END, HOST, PORT, START, USER, plain, emit

out = {}
conn = pg8000.dbapi.connect(user=USER, host=HOST, port=PORT, database=DBNAME)
cur = conn.cursor()
cur.execute(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = %s ORDER BY table_name",
    ("public",),
)
out["tables"] = [r[0] for r in cur.fetchall()]
cur.execute(
    "SELECT column_name, data_type FROM information_schema.columns "
    "WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position",
    ("conversations",),
)
out["columns"] = [list(r) for r in cur.fetchall()]
cur.execute(
    "SELECT count(*), sum(message_count) FROM conversations "
    "WHERE account_id = %s AND started_date BETWEEN %s AND %s",
    (ACCOUNT, dt.date.fromisoformat(START), dt.date.fromisoformat(END)),
)
out["bound"] = plain(list(cur.fetchone()))
conn.rollback()
conn.close()

native = pg8000.native.Connection(user=USER, host=HOST, port=PORT, database=DBNAME)
rows = native.run(
    "SELECT conversation_id, status, message_count, started_date FROM conversations "
    "WHERE account_id = :account ORDER BY conversation_id LIMIT 10",
    account=ACCOUNT,
)
out["rows"] = [plain(r) for r in rows]
native.close()
emit(out)
