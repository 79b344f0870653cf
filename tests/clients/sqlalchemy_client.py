"""SQLAlchemy (the current 2.x release) with psycopg 3 and psycopg2:
inspect() lists the views and reads the columns of `conversations`, then a
Core query with a bound parameter. Prints what it read as JSON for
tests/integration/clients.rs, which compares it with plain queries."""


import sqlalchemy as sa

from _conn import ACCOUNT, DBNAME, HOST, PORT, USER, emit

out = {"version": sa.__version__}
for driver in ("psycopg", "psycopg2"):
    engine = sa.create_engine(f"postgresql+{driver}://{USER}@{HOST}:{PORT}/{DBNAME}")
    insp = sa.inspect(engine)
    out[f"{driver}_views"] = sorted(insp.get_view_names())
    out[f"{driver}_columns"] = [
        [c["name"], str(c["type"]), c["nullable"]] for c in insp.get_columns("conversations")
    ]
    with engine.connect() as conn:
        out[f"{driver}_count"] = conn.execute(
            sa.text("SELECT count(*) FROM conversations WHERE account_id = :a"), {"a": ACCOUNT}
        ).scalar_one()
    engine.dispose()
emit(out)
