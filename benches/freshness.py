"""How soon landed log files are in the answers: files land, the next question is timed.

The server is running and its fact store is up to date. Each landing writes new Parquet
files into the dataset's `messages/` folder (a temporary name, then a rename, as an object
store's writer would make them appear), and the overview of `acc_001` is asked at once:
its time is the time from the files' arrival to an answer that includes them, since every
statement folds new files into the store before it runs. The answer is checked: its
Total Volume must have grown by exactly the conversations landed in the range.

- **An hourly file of the busiest account**: the conversations of `acc_001` that started
  in one hour of the last day, copied with new ids (`…_l<n>`), all their rows of that
  day's files, in one file.
- **A landed day**: every account's rows of the last day, copied with new ids, in as
  many files as that day has.

The landed files are removed afterwards (with the server stopped), so the dataset is the
generator's again; the store then rebuilds at its next start, as it does for any log file
that disappears.
"""

import statistics
import time
from pathlib import Path

from suite import ACCOUNT, FROM, TO

#: The last day of the generated data (the day before as_of), whose rows are copied.
DAY = "2026-06-07"
OVERVIEW = f"SELECT * FROM overview('{ACCOUNT}', '{FROM}', '{TO}')"


def _total_volume(conn) -> int:
    cur = conn.execute(OVERVIEW)
    names = [d.name for d in cur.description]
    row = cur.fetchone()
    return int(row[names.index("total_volume")])


def _renamed(table, suffix: str):
    """The rows with new conversation and message ids (the same rows otherwise)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for name in ("conversation_id", "message_id"):
        i = table.schema.get_field_index(name)
        column = pc.binary_join_element_wise(table.column(name), pa.scalar(suffix), "")
        table = table.set_column(i, table.schema.field(i), column.cast(pa.string()))
    return table


def _land(folder: Path, name: str, table, landed: list[Path]):
    import pyarrow.parquet as pq

    tmp = folder / f".{name}.tmp"
    pq.write_table(table, tmp)
    target = folder / name
    landed.append(target)
    tmp.rename(target)


def _day_files(data: Path) -> list[Path]:
    return sorted((data / "messages" / f"date={DAY}").glob("part-*.parquet"))


def _hourly(data: Path, hour: int, suffix: str):
    """acc_001's conversations that started in `hour` (UTC) of DAY, with new ids; their count."""
    import datetime as dt

    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    day = pa.concat_tables(pq.read_table(f) for f in _day_files(data))
    mine = day.filter(pc.equal(day.column("account_id"), ACCOUNT))
    firsts = mine.group_by("conversation_id").aggregate([("sent_at", "min")])
    start = dt.datetime.fromisoformat(f"{DAY}T{hour:02}:00:00+00:00")
    in_hour = firsts.filter(pc.and_(
        pc.greater_equal(firsts.column("sent_at_min"), pa.scalar(start, pa.timestamp("us", "UTC"))),
        pc.less(firsts.column("sent_at_min"),
                pa.scalar(start + dt.timedelta(hours=1), pa.timestamp("us", "UTC")))))
    ids = in_hour.column("conversation_id")
    rows = mine.filter(pc.is_in(mine.column("conversation_id"), value_set=ids))
    return _renamed(rows, suffix), len(ids)


def _new_conversations_in_range(tables, account: str) -> int:
    """How many of the landed conversations of `account` the overview's range counts.

    Every landed conversation starts on DAY, which lies inside the range in every zone
    the generator gives accounts (checked by the answer itself: a miscount fails)."""
    import pyarrow.compute as pc

    ids = set()
    for t in tables:
        mine = t.filter(pc.equal(t.column("account_id"), account))
        ids.update(mine.column("conversation_id").to_pylist())
    return len(ids)


def measure(server, data: Path, hours: int, landed: list[Path]) -> dict:
    """Lands `hours` hourly files of acc_001, then one whole day; times the next answer.

    Every file landed is added to `landed` as it lands, for [`remove`]."""
    import pyarrow.parquet as pq

    assert FROM <= DAY <= TO, "the landed day must lie in the overview's range"
    folder = data / "messages" / f"date={DAY}"
    conn = server.connect()
    results = dict(hourly=[], day=None)
    try:
        before = _total_volume(conn)
        for n in range(hours):
            table, conversations = _hourly(data, 14 + n % 8, f"_l{n}")
            _land(folder, f"landed-hour-{n}.parquet", table, landed)
            started = time.perf_counter()
            after = _total_volume(conn)
            seconds = time.perf_counter() - started
            if after != before + conversations:
                raise SystemExit(f"landed hour {n}: total volume {after}, expected "
                                 f"{before} + {conversations}")
            results["hourly"].append(dict(seconds=seconds, rows=table.num_rows,
                                          conversations=conversations))
            before = after
            print(f"hourly file {n} of {ACCOUNT} ({table.num_rows} rows, {conversations} "
                  f"conversations): in the next answer after {seconds * 1000:.0f} ms", flush=True)
        tables = [_renamed(pq.read_table(f), "_day") for f in _day_files(data)]
        expected = before + _new_conversations_in_range(tables, ACCOUNT)
        for i, table in enumerate(tables):
            _land(folder, f"landed-day-{i}.parquet", table, landed)
        started = time.perf_counter()
        after = _total_volume(conn)
        seconds = time.perf_counter() - started
        if after != expected:
            raise SystemExit(f"landed day: total volume {after}, expected {expected}")
        rows = sum(t.num_rows for t in tables)
        results["day"] = dict(seconds=seconds, rows=rows, files=len(tables))
        print(f"a landed day ({len(tables)} files, {rows} rows, every account): in the next "
              f"answer after {seconds:.2f} s", flush=True)
    finally:
        conn.close()
    return results


def remove(landed: list[Path]):
    """Removes the landed files (call with the server stopped)."""
    for path in landed:
        path.unlink(missing_ok=True)


def report_lines(results: dict) -> list[str]:
    hourly = [h["seconds"] for h in results["hourly"]]
    lines = ["", "Landed files, timed from their arrival to the next answer that includes them "
             f"(the overview of {ACCOUNT}; the store up to date before each):", ""]
    if hourly:
        rows = statistics.median(h["rows"] for h in results["hourly"])
        lines.append(f"- an hourly file of {ACCOUNT} (median {rows:.0f} rows), "
                     f"{len(hourly)} landings: median **{statistics.median(hourly) * 1000:.0f} ms**, "
                     f"max {max(hourly) * 1000:.0f} ms;")
    day = results.get("day")
    if day:
        lines.append(f"- a landed day ({day['files']} files, {day['rows']:,} rows, every "
                     f"account): **{day['seconds']:.2f} s**.")
    return lines
