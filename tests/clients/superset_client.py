"""Apache Superset 6 in-process, as its web app drives it: a database
registered with a postgresql:// URI, its metadata as the dataset editor and
SQL Lab's schema browser read it (schemas, tables, views, columns, primary
key, foreign keys, indexes) through superset.models.core.Database, and
queries run through SQL Lab's own code path (superset.sql_lab.get_sql_results
on a Query row, as the SQL Lab endpoint does). Superset's metadata database is
SQLite in a temporary directory. Runs in Superset's own environment
(tests/clients/venvs/superset.txt). Prints what it read as JSON for
tests/integration/clients.rs, which compares it with plain queries."""

import os
import tempfile

from _conn import ACCOUNT, DBNAME, END, HOST, PORT, START, USER, emit, plain

work = tempfile.mkdtemp(prefix="superset-")
with open(os.path.join(work, "superset_config.py"), "w") as f:
    f.write(
        "SECRET_KEY = 'conversql-client-test-only'\n"
        f"SQLALCHEMY_DATABASE_URI = 'sqlite:///{work}/superset.db'\n"
        "WTF_CSRF_ENABLED = False\n"
    )
os.environ["SUPERSET_CONFIG_PATH"] = os.path.join(work, "superset_config.py")
os.environ["SUPERSET_HOME"] = work

from superset.app import create_app  # noqa: E402

app = create_app()
out = {}
with app.app_context():
    from superset import sql_lab  # noqa: E402
    from superset.extensions import db  # noqa: E402
    from superset.models.core import Database  # noqa: E402
    from superset.models.sql_lab import Query  # noqa: E402
    from superset.sql.parse import Table  # noqa: E402

    # Superset's metadata database, as `superset db upgrade` makes it.
    import superset  # noqa: E402
    from flask_migrate import upgrade  # noqa: E402

    upgrade(directory=os.path.join(os.path.dirname(superset.__file__), "migrations"))
    database = Database(
        database_name="conversql",
        sqlalchemy_uri=f"postgresql+psycopg2://{USER}@{HOST}:{PORT}/{DBNAME}",
        expose_in_sqllab=True,
    )
    db.session.add(database)
    db.session.commit()

    table = Table("conversations", "public")
    out["schemas"] = sorted(database.get_all_schema_names())
    out["tables"] = sorted(t[0] for t in database.get_all_table_names_in_schema(None, "public"))
    out["views"] = sorted(t[0] for t in database.get_all_view_names_in_schema(None, "public"))
    out["columns"] = [[c["name"], str(c["type"])] for c in database.get_columns(table)]
    out["pk"] = database.get_pk_constraint(table)
    out["foreign_keys"] = database.get_foreign_keys(table)
    out["indexes"] = database.get_indexes(table)

    def sql_lab_run(sql):
        query = Query(
            database_id=database.id,
            sql=sql,
            schema="public",
            limit=1000,
            select_as_cta=False,
            client_id=f"c{len(out)}",
            status="pending",
        )
        db.session.add(query)
        db.session.commit()
        result = sql_lab.get_sql_results(query.id, sql, return_results=True, store_results=False)
        if result.get("status") != "success":
            raise RuntimeError(f"SQL Lab: {result}")
        return {
            "columns": [c["column_name"] for c in result["columns"]],
            "data": [[plain(row[c["column_name"]]) for c in result["columns"]] for row in result["data"]],
        }

    out["sql_lab"] = sql_lab_run(
        "select status, count(*) as n from conversations "
        f"where account_id = '{ACCOUNT}' group by status order by status"
    )
    if not os.environ.get("CONVERSQL_CAPTURE"):
        # A table function of conversql (PostgreSQL has no `overview`).
        out["sql_lab_overview"] = sql_lab_run(
            f"select * from overview('{ACCOUNT}', date '{START}', date '{END}')"
        )
emit(out)
