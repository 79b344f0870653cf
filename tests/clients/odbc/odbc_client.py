"""psqlODBC (through unixODBC and pyodbc) client of conversql's integration tests.

Usage: python3 odbc_client.py DRIVER_PATH PORT ACCOUNT START END

Connects with a DSN-less connection string naming the driver library, lists
tables and views with SQLTables, the columns of `conversations` with
SQLColumns, runs overview(?, ?, ?) with bound parameters and reads the
conversations table. Prints one JSON object; tests/integration/drivers.rs checks the values.
"""
import datetime
import decimal
import json
import sys

import pyodbc


def main():
    driver, port, account, start, end = sys.argv[1:6]
    conn = pyodbc.connect(
        f"Driver={{{driver}}};Server=127.0.0.1;Port={port};Database=conversql;"
        "Uid=analyst;Pwd=;SSLmode=disable;",
        autocommit=True,
    )
    out = {"dbms": [conn.getinfo(pyodbc.SQL_DBMS_NAME), conn.getinfo(pyodbc.SQL_DBMS_VER)]}
    cur = conn.cursor()
    out["tables"] = [
        [r.table_schem, r.table_name, r.table_type]
        for r in cur.tables(schema="public", tableType="TABLE,VIEW").fetchall()
    ]
    out["columns"] = [
        [r.column_name, r.type_name, r.data_type, r.ordinal_position]
        for r in cur.columns(table="conversations", schema="public").fetchall()
    ]
    cur.execute(
        "SELECT * FROM overview(?, ?, ?)",
        account,
        datetime.date.fromisoformat(start),
        datetime.date.fromisoformat(end),
    )
    out["overview_columns"] = [d[0] for d in cur.description]
    row = cur.fetchone()
    out["overview"] = [
        int(row[0]),
        int(row[1]),
        float(row[2]),
        str(row[3]) if isinstance(row[3], decimal.Decimal) else row[3],
    ]
    cur.execute(
        "SELECT conversation_id, status, started_date, message_count FROM conversations "
        "WHERE account_id = ? ORDER BY conversation_id",
        account,
    )
    rows = cur.fetchall()
    out["conversations_count"] = len(rows)
    out["conversations_first"] = [
        [r[0], r[1], r[2].isoformat() if hasattr(r[2], "isoformat") else r[2], int(r[3])] for r in rows[:5]
    ]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
