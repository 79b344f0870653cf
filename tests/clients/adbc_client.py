"""adbc-driver-postgresql (the ADBC PostgreSQL driver, Arrow all the way):
connect, a query fetched as an Arrow table, bound parameters,
adbc_get_objects and adbc_get_table_schema. Prints what it read as JSON for
tests/integration/clients.rs, which compares it with plain queries."""


import adbc_driver_postgresql.dbapi as adbc

from _conn import ACCOUNT, END, START, URI, plain, emit

out = {}
with adbc.connect(URI) as conn:
    with conn.cursor() as cur:
        cur.execute(
            "SELECT conversation_id, status, message_count FROM conversations "
            f"WHERE account_id = '{ACCOUNT}' ORDER BY conversation_id LIMIT 10"
        )
        table = cur.fetch_arrow_table()
        out["rows"] = [plain(list(r.values())) for r in table.to_pylist()]
        out["types"] = [str(f.type) for f in table.schema]

        cur.execute(
            "SELECT count(*) AS n, sum(message_count) AS messages FROM conversations "
            "WHERE account_id = $1 AND started_date BETWEEN $2::date AND $3::date",
            (ACCOUNT, START, END),
        )
        out["bound"] = plain(list(cur.fetchone()))

    objects = conn.adbc_get_objects(
        depth="columns", db_schema_filter="public", table_name_filter="conversations"
    ).read_all().to_pylist()
    tables = []
    for catalog in objects:
        for schema in catalog["catalog_db_schemas"] or []:
            for t in schema["db_schema_tables"] or []:
                tables.append({
                    "catalog": catalog["catalog_name"],
                    "schema": schema["db_schema_name"],
                    "table": t["table_name"],
                    "type": t["table_type"],
                    "columns": [c["column_name"] for c in sorted(t["table_columns"] or [], key=lambda c: c["ordinal_position"])],
                })
    out["objects"] = tables
    views = conn.adbc_get_objects(depth="tables", db_schema_filter="public").read_all().to_pylist()
    out["public_tables"] = sorted(
        t["table_name"]
        for c in views for s in c["catalog_db_schemas"] or [] for t in s["db_schema_tables"] or []
    )
    schema = conn.adbc_get_table_schema("conversations", db_schema_filter="public")
    out["table_schema"] = [[f.name, str(f.type)] for f in schema]
emit(out)
