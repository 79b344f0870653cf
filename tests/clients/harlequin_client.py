"""harlequin's PostgreSQL adapter (harlequin-postgres), as the harlequin IDE
drives it: connect read-only (`harlequin -a postgres --read-only`), load the
catalog (databases, schemas, the search_path's relations, a view's columns),
run "Describe Relation (\\d+)" on `conversations` (the interaction inserts
its SQL in a buffer; the user runs it) and a query. Runs in harlequin's own
environment (tests/clients/venvs/harlequin.txt). Prints what it read as JSON
for tests/integration/clients.rs, which compares it with plain queries."""


from harlequin_postgres.adapter import HarlequinPostgresAdapter
from harlequin_postgres.interactions import show_describe_relation

from _conn import ACCOUNT, DBNAME, HOST, PORT, USER, plain, emit

out = {}
adapter = HarlequinPostgresAdapter(
    conn_str=[], host=HOST, port=str(PORT), user=USER, dbname=DBNAME, read_only=True
)
conn = adapter.connect()
catalog = conn.get_catalog()
db = next(item for item in catalog.items if item.label == DBNAME)
out["databases"] = sorted(item.label for item in catalog.items)
schemas = db.children if db.loaded else db.fetch_children()
out["schemas"] = sorted(s.label for s in schemas)
public = next(s for s in schemas if s.label == "public")
relations = public.children if public.loaded else public.fetch_children()
out["public_relations"] = sorted([r.label, r.type_label] for r in relations)
view = next(r for r in relations if r.label == "conversations")
out["columns"] = [[c.label, c.type_name, c.type_label] for c in view.fetch_children()]


class Driver:
    """The part of harlequin's HarlequinDriver an interaction calls."""

    def __init__(self):
        self.buffers = []

    def insert_text_in_new_buffer(self, text):
        self.buffers.append(text)

    def notify(self, message, severity="information", **_):
        raise RuntimeError(f"harlequin notified {severity}: {message}")


driver = Driver()
show_describe_relation(view, driver)
cursor = conn.execute(driver.buffers[0])
out["describe_columns"] = [name for name, _ in cursor.columns()]
rows = cursor.fetchall()
out["describe"] = [[None if v is None else str(v) for v in row] for row in rows]

cursor = conn.execute(
    f"select status, count(*) as n from conversations where account_id = '{ACCOUNT}' "
    "group by status order by status"
)
out["query"] = [plain(list(r)) for r in cursor.fetchall()]
conn.close()
emit(out)
