"""dbt-postgres through dbt's own runner (dbt.cli.main.dbtRunner), on the
project in tests/clients/dbt: `dbt debug`, `dbt run` twice (its view
model, created then replaced), `dbt test` (its source and model tests) and
`dbt docs generate` (catalog.json). Runs in dbt's own environment
(tests/clients/venvs/dbt.txt); dbt's target and log files go to a temporary
directory. Prints what it read as JSON for tests/integration/clients.rs,
which compares it with plain queries."""

import json
import os
import tempfile

from dbt.cli.main import dbtRunner

import _conn
from _conn import emit


def main():
    """Runs the three dbt commands and prints what they did (a function: dbt's
    multiprocessing re-imports this module in its workers)."""
    project = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dbt")
    work = tempfile.mkdtemp(prefix="dbt-")
    common = ["--project-dir", project, "--profiles-dir", project, "--log-path", work]
    os.environ.setdefault("PGHOST", _conn.HOST)
    os.environ.setdefault("PGPORT", str(_conn.PORT))
    os.environ.setdefault("PGUSER", _conn.USER)
    os.environ.setdefault("PGDATABASE", _conn.DBNAME)
    os.environ["DBT_TARGET_PATH"] = os.path.join(work, "target")
    os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    runner = dbtRunner()
    out = {}

    debug = runner.invoke(["debug", *common])
    out["debug"] = {"success": debug.success, "error": str(debug.exception) if debug.exception else None}

    out["run"] = []
    for _ in range(2):
        run = runner.invoke(["run", *common])
        out["run"].append(
            {
                "success": run.success,
                "error": str(run.exception) if run.exception else None,
                "results": sorted(
                    [r.node.name, str(r.status), r.message]
                    for r in (run.result.results if run.result else [])
                ),
            }
        )

    test = runner.invoke(["test", *common])
    out["test"] = {
        "success": test.success,
        "error": str(test.exception) if test.exception else None,
        "results": sorted(
            [r.node.name, str(r.status), r.failures, r.message]
            for r in (test.result.results if test.result else [])
        ),
    }

    docs = runner.invoke(["docs", "generate", *common])
    out["docs"] = {"success": docs.success, "error": str(docs.exception) if docs.exception else None}
    catalog_path = os.path.join(work, "target", "catalog.json")
    if os.path.exists(catalog_path):
        with open(catalog_path) as f:
            catalog = json.load(f)
        out["catalog_sources"] = {
            node["metadata"]["name"]: {
                "type": node["metadata"]["type"],
                "columns": [
                    [c["name"], c["type"]]
                    for c in sorted(node["columns"].values(), key=lambda c: c["index"])
                ],
            }
            for node in catalog["sources"].values()
        }
        out["catalog_models"] = {
            node["metadata"]["name"]: {
                "type": node["metadata"]["type"],
                "columns": [
                    [c["name"], c["type"]]
                    for c in sorted(node["columns"].values(), key=lambda c: c["index"])
                ],
            }
            for node in catalog["nodes"].values()
        }
        out["catalog_errors"] = catalog.get("errors")
    emit(out)


if __name__ == "__main__":
    main()
