"""polars.read_database_uri with the ADBC engine and with connectorx's
cursor protocol (`?cxprotocol=cursor`), as an analyst reads a query into a
DataFrame. Prints what each read as JSON for tests/integration/clients.rs,
which compares it with a plain query."""


import polars as pl

from _conn import ACCOUNT, URI, plain, emit

QUERY = (
    "SELECT conversation_id, status, message_count, started_date FROM conversations "
    f"WHERE account_id = '{ACCOUNT}' ORDER BY conversation_id LIMIT 10"
)
out = {}
adbc = pl.read_database_uri(QUERY, URI, engine="adbc")
out["adbc"] = [plain(list(r)) for r in adbc.iter_rows()]
out["adbc_dtypes"] = [str(t) for t in adbc.dtypes]
cx = pl.read_database_uri(QUERY, URI + "?cxprotocol=cursor", engine="connectorx")
out["connectorx_cursor"] = [plain(list(r)) for r in cx.iter_rows()]
out["connectorx_dtypes"] = [str(t) for t in cx.dtypes]
emit(out)
