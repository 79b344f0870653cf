"""ibis with its PostgreSQL backend: list_tables, a table's schema, an
aggregation compiled by ibis, and `.sql()` over a query (which ibis runs
through a temporary view). Prints what it read as JSON for
tests/integration/clients.rs, which compares it with plain queries."""


import ibis

from _conn import ACCOUNT, DBNAME, HOST, PORT, USER, plain, emit

out = {}
con = ibis.postgres.connect(host=HOST, port=PORT, user=USER, database=DBNAME)
out["tables"] = sorted(con.list_tables())
t = con.table("conversations")
out["schema"] = [[name, str(dtype)] for name, dtype in t.schema().items()]
mine = t.filter(t.account_id == ACCOUNT)
agg = (
    mine.group_by("status")
    .aggregate(n=mine.count(), messages=mine.message_count.sum())
    .order_by("status")
)
out["aggregation"] = [plain(list(r)) for r in agg.execute().itertuples(index=False)]
q = con.sql(
    f"SELECT status, count(*) AS n FROM conversations WHERE account_id = '{ACCOUNT}' GROUP BY status"
)
out["sql_schema"] = [[name, str(dtype)] for name, dtype in q.schema().items()]
out["sql"] = sorted(plain(list(r)) for r in q.execute().itertuples(index=False))
con.disconnect()
emit(out)
