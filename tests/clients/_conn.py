"""The connection every client scenario uses, from libpq's environment
variables (PGHOST, PGPORT, PGUSER, PGDATABASE), which the integration tests
and scripts/capture-client-sql set, and the scenario's arguments."""

import os
import sys

HOST = os.environ.get("PGHOST", "127.0.0.1")
PORT = int(os.environ.get("PGPORT", "5432"))
USER = os.environ.get("PGUSER", "analyst")
DBNAME = os.environ.get("PGDATABASE", "conversql")
URI = f"postgresql://{USER}@{HOST}:{PORT}/{DBNAME}"
ACCOUNT, START, END = (sys.argv[1:4] + ["acc_001", "2026-06-01", "2026-06-07"][len(sys.argv[1:4]):])


def plain(value):
    """A JSON-friendly value: dates and decimals as text, numpy scalars as Python's."""
    import datetime as dt
    import decimal

    if isinstance(value, (dt.date, dt.datetime, dt.time, decimal.Decimal)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        # numpy and pandas scalars (ibis, Superset): their Python value.
        return plain(value.item())
    return value


def instant(t):
    """A zone-aware datetime as PostgreSQL prints a timestamptz in UTC
    (`2026-05-09 10:24:12.015+00`), to compare with a plain query's text."""
    import datetime as dt

    if t is None:
        return None
    assert t.utcoffset() is not None, f"timestamptz must arrive zone-aware, got {t!r}"
    t = t.astimezone(dt.timezone.utc)
    text = t.strftime("%Y-%m-%d %H:%M:%S")
    if t.microsecond:
        text += f".{t.microsecond:06d}".rstrip("0")
    return text + "+00"


# The scenario's JSON is the only thing on stdout: whatever the client
# itself prints (dbt's and Superset's logs) goes to stderr.
_json_out = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)


def emit(out):
    """Prints the scenario's result, `out`, as JSON on the real stdout."""
    import json

    _json_out.write(json.dumps(out))
    _json_out.write("\n")
    _json_out.flush()
