"""pgcli as it starts (connect, `show time zone`, `set time zone` to the
local zone, as pgcli.main.cli does), refreshes its completions (every
refresher of pgcli.completion_refresher, run in the foreground) and runs
`\\d+ conversations` through pgspecial. Runs in pgcli's own environment
(tests/clients/venvs/pgcli.txt). Prints what it read as JSON for
tests/integration/clients.rs, which compares it with plain queries."""

import os
import tempfile

# pgcli sets the session to the local time zone when it differs from the
# server's; the tests run in UTC, the zone conversql reports instants in.
os.environ.setdefault("TZ", "UTC")
home = tempfile.mkdtemp(prefix="pgcli-home-")
os.environ["HOME"] = home
os.environ["XDG_CONFIG_HOME"] = home

import tzlocal  # noqa: E402
from pgcli.completion_refresher import CompletionRefresher  # noqa: E402
from pgcli.main import PGCli  # noqa: E402

from _conn import DBNAME, HOST, PORT, USER, emit  # noqa: E402

out = {}
pgcli = PGCli(pgclirc_file=os.path.join(home, "pgclirc"))
pgcli.connect(DBNAME, HOST, USER, str(PORT))
executor = pgcli.pgexecute
server_tz = executor.get_timezone()
local_tz = tzlocal.get_localzone_name()
if local_tz != server_tz:
    executor.set_timezone(local_tz)
out["server_time_zone"] = server_tz
out["time_zone_after"] = executor.get_timezone()

completers = []
CompletionRefresher()._bg_refresh(
    executor, pgcli.pgspecial, completers.append, settings={"single_connection": True}
)
completer = completers[0]
meta = completer.dbmetadata
out["search_path"] = completer.search_path
out["schemata"] = sorted(completer.dbmetadata["tables"].keys())
out["views"] = sorted(meta["views"].get("public", {}).keys())
out["view_columns"] = [c.name for c in meta["views"]["public"].get("conversations", {}).values()]
out["functions"] = sorted(meta["functions"].get("public", {}).keys())
out["datatypes"] = sorted(meta["datatypes"].get("public", {}).keys())
out["databases"] = sorted(completer.databases)

described = []
for title, rows, headers, status, *_ in executor.run("\\d+ conversations", pgspecial=pgcli.pgspecial):
    described.append({
        "title": title,
        "headers": list(headers or []),
        "rows": [[None if v is None else str(v) for v in r] for r in (rows or [])],
        "status": str(status),
    })
out["describe"] = described
emit(out)
