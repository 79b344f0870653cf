"""polars.read_database_uri with the ADBC engine, with connectorx's cursor
protocol (`protocol="cursor"`) and with connectorx's default protocol (no
`protocol`: a binary `COPY (query) TO STDOUT WITH BINARY`), as an analyst
reads a query into a DataFrame. The default read has numeric, timestamptz
and NULL columns too. Prints what each read as JSON for tests/integration/clients.rs,
which compares it with a plain query."""


import polars as pl

from _conn import ACCOUNT, URI, instant, plain, emit

QUERY = (
    "SELECT conversation_id, status, message_count, started_date FROM conversations "
    f"WHERE account_id = '{ACCOUNT}' ORDER BY conversation_id LIMIT 10"
)
WIDE_QUERY = (
    "SELECT conversation_id, status, message_count, "
    "CAST(message_count AS numeric(12,2)) / 4 AS quarter, started_date, started_at, first_question "
    f"FROM conversations WHERE account_id = '{ACCOUNT}' ORDER BY conversation_id LIMIT 10"
)
out = {}
adbc = pl.read_database_uri(QUERY, URI, engine="adbc")
out["adbc"] = [plain(list(r)) for r in adbc.iter_rows()]
out["adbc_dtypes"] = [str(t) for t in adbc.dtypes]
# `?cxprotocol=cursor` in the URI is overridden by polars' protocol argument
# (connectorx's default, binary), so the cursor protocol is asked for by name.
cx = pl.read_database_uri(QUERY, URI, engine="connectorx", protocol="cursor")
out["connectorx_cursor"] = [plain(list(r)) for r in cx.iter_rows()]
out["connectorx_dtypes"] = [str(t) for t in cx.dtypes]
wide = pl.read_database_uri(WIDE_QUERY, URI, engine="connectorx")
out["connectorx_default"] = [
    plain([instant(v) if i == 5 else v for i, v in enumerate(r)]) for r in wide.iter_rows()
]
out["connectorx_default_dtypes"] = [str(t) for t in wide.dtypes]
emit(out)
