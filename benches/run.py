#!/usr/bin/env python3
"""conversql vs DuckDB on the same Parquet files: the benchmark harness.

    python3 benches/run.py --scale 1                  # the suite at SF1, writes BENCHMARKS.md
    python3 benches/run.py --scale 0.1 --runs 3       # a quick check
    python3 benches/run.py --scale 1 --concurrency 32 --duration 60    # + the dashboard mix
    python3 benches/run.py --scale 10 --memory-limit 4GB --no-duckdb   # SF10 under a memory limit

It builds the release binary (cargo build --release, into $CARGO_TARGET_DIR), generates
the dataset with `conversql generate --scale SF` unless it exists (default
~/.cache/conversql/bench-data/sfSF, outside the repository), starts `conversql serve` on a
free port, and asks every question of benches/suite.py through the Postgres protocol
(psycopg) and of DuckDB (its Python package, installed on first run at the pinned version)
over the same files, twice: DuckDB with the same head start as conversql's fact store (the
T-independent tables materialised once with CREATE TABLE … AS in a DuckDB database file,
their build timed against the store's build from nothing; status and attribution derived at
query time, as conversql derives them), and DuckDB reading the raw files on every query.
Per question it prints the median of --runs warm runs for each engine, the ratios
conversql / DuckDB and the server's peak memory (VmHWM from /proc), checks that every
engine gives the same answer (exit status 1 and a MISMATCH line if not), lands hourly
files and a day while the server runs and times the next answer (benches/freshness.py),
and writes the figures into BENCHMARKS.md between markers of the run's key (hand-written
text is kept).
"""

import argparse
import re
import datetime as dt
import decimal
import math
import os
import platform
import random
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DUCKDB_VERSION = "2.0.0"
PYTZ_VERSION = "2025.2"
sys.path.insert(0, str(HERE))

import freshness  # noqa: E402
from suite import ACCOUNT, AS_OF, DASHBOARD_MIX, FROM, SUITE, TO  # noqa: E402


def ensure_duckdb():
    """Imports duckdb, installing the pinned version (and pytz, which DuckDB needs to return
    timestamptz values to Python) with pip on first use."""
    try:
        import duckdb  # noqa: F401
        import pytz  # noqa: F401
        if duckdb.__version__ != DUCKDB_VERSION:
            raise ImportError(f"duckdb {duckdb.__version__} installed")
    except ImportError:
        print(f"installing duckdb=={DUCKDB_VERSION} and pytz (pip)", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", f"duckdb=={DUCKDB_VERSION}",
                        f"pytz=={PYTZ_VERSION}"], check=True)
    import duckdb
    return duckdb


#: What the peer with the same head start materialises, as conversql's fact store keeps it:
#: the log's de-duplicated rows, each conversation's facts that do not depend on T, and the
#: attribution touches; each table sorted for its lookups (DuckDB skips row groups by their
#: min/max), in dependency order. The views over them (status, attribution, segments) stay
#: views, computed at query time.
MATERIALISED = [
    ("accounts", "account_id"),
    ("profiles", "account_id, profile_id"),
    ("messages", "account_id, conversation_id, sent_at, message_id"),
    ("events", "account_id, occurred_at, event_id"),
    ("conversation_facts", "account_id, started_at, conversation_id"),
    ("attribution_touches", "account_id, profile_id, touch_at"),
]


def duckdb_views(data: Path) -> str:
    return (HERE / "duckdb_views.sql").read_text().replace("{root}", str(data)).replace(
        "{as_of}", AS_OF)


def duckdb_connect(duckdb, database: str, memory_limit: str | None):
    conn = duckdb.connect(database)
    conn.execute(f"SET threads = {os.cpu_count()}")
    if memory_limit:
        conn.execute(f"SET memory_limit = '{memory_limit}'")
    return conn


def build_duckdb_facts(duckdb, data: Path, path: Path, memory_limit: str | None):
    """DuckDB with the same head start: a new database file, the views of duckdb_views.sql,
    then each view of MATERIALISED replaced by a table of its rows (CREATE TABLE … AS …
    ORDER BY, later ones read from the earlier tables), checkpointed. Returns the connection
    and the build's wall time and summary."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for old in (path, path.with_name(path.name + ".wal")):
        old.unlink(missing_ok=True)
    conn = duckdb_connect(duckdb, str(path), memory_limit)
    conn.execute(duckdb_views(data))
    started = time.perf_counter()
    for name, order in MATERIALISED:
        conn.execute(f"CREATE TABLE {name}__built AS SELECT * FROM {name} ORDER BY {order}")
        conn.execute(f"DROP VIEW {name}")
        conn.execute(f"ALTER TABLE {name}__built RENAME TO {name}")
    conn.execute("CHECKPOINT")
    seconds = time.perf_counter() - started
    rows = {name: conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
            for name, _ in MATERIALISED}
    detail = (f"{len(MATERIALISED)} tables, " + ", ".join(f"{n} {r:,}" for n, r in rows.items())
              + f"; {path.stat().st_size / 2**20:,.0f} MiB file")
    return conn, seconds, detail


def target_dir() -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))


def build(binary: Path | None) -> Path:
    """The binary to benchmark: --binary, else a fresh release build, copied aside at once
    (a shared CARGO_TARGET_DIR may be rebuilt from another checkout during the run)."""
    if binary:
        return binary
    print("cargo build --release …", flush=True)
    subprocess.run(["cargo", "build", "--release", "--bin", "conversql"], cwd=REPO, check=True)
    built = target_dir() / "release" / "conversql"
    private = Path(tempfile.mkdtemp(prefix="conversql-bench-")) / "conversql"
    shutil.copy2(built, private)
    return private


def scale_name(scale: float) -> str:
    return f"sf{scale:g}"


def ensure_data(binary: Path, scale: float, data: Path) -> str:
    """Generates the dataset unless it is complete; returns the generator's summary line."""
    marker = data / ".generated"
    if marker.exists():
        return marker.read_text().strip()
    if (data / "accounts").is_dir() and (data / "messages").is_dir():
        return "an existing dataset (not generated by this harness)"
    if data.exists() and any(data.iterdir()):
        sys.exit(f"{data} exists but is incomplete (no .generated marker); remove it first")
    data.mkdir(parents=True, exist_ok=True)
    print(f"generating SF{scale:g} into {data} …", flush=True)
    started = time.perf_counter()
    proc = subprocess.run([str(binary), "generate", "--scale", f"{scale:g}", "--out", str(data)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"generate failed: {proc.stderr}")
    line = proc.stderr.strip().splitlines()[-1]
    line += f" [wall {time.perf_counter() - started:.1f} s]"
    marker.write_text(line + "\n")
    print(line, flush=True)
    return line


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid: int) -> dict:
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                out[key] = int(value.split()[0]) * 1024
    except FileNotFoundError:
        pass
    return out


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) process `pid` has used, from /proc/PID/stat."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return 0.0
    # Fields after the command name (in parentheses): utime and stime are the 12th and 13th.
    fields = stat[stat.rfind(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def mib(n: int | None) -> str:
    return "?" if n is None else f"{n / 2**20:,.0f} MiB"


class Workers:
    """`conversql worker` processes on free loopback ports, sharing a fresh secret."""

    def __init__(self, binary: Path, count: int):
        self.secret = secrets.token_hex(16)
        self.ports = [free_port() for _ in range(count)]
        env = dict(os.environ, CONVERSQL_CLUSTER_SECRET=self.secret)
        self.procs = [subprocess.Popen([str(binary), "worker", "--listen", f"127.0.0.1:{port}"],
                                       env=env, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
                      for port in self.ports]
        deadline = time.time() + 60
        for port, proc in zip(self.ports, self.procs):
            while True:
                if proc.poll() is not None:
                    sys.exit(f"conversql worker on port {port} exited with {proc.returncode}")
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.time() > deadline:
                        sys.exit(f"conversql worker on port {port} did not listen")
                    time.sleep(0.1)

    def urls(self) -> str:
        return ",".join(f"http://127.0.0.1:{port}" for port in self.ports)

    def memory(self) -> list[dict]:
        return [proc_status(p.pid) for p in self.procs]

    def cpu(self) -> float:
        return sum(cpu_seconds(p.pid) for p in self.procs)

    def stop(self):
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


class Server:
    """`conversql serve` on a free loopback port (a coordinator when `workers` is given)."""

    def __init__(self, binary: Path, data: Path, memory_limit: str | None, facts: list[str],
                 workers: Workers | None = None, scan_bytes_per_task: str | None = None):
        self.port = free_port()
        args = [str(binary), "serve", "--data", str(data), "--as-of", AS_OF,
                "--listen", f"127.0.0.1:{self.port}", *facts]
        if memory_limit:
            args += ["--memory-limit", memory_limit]
        env = dict(os.environ)
        if workers:
            args += ["--workers", workers.urls()]
            env["CONVERSQL_CLUSTER_SECRET"] = workers.secret
            if scan_bytes_per_task:
                args += ["--scan-bytes-per-task", scan_bytes_per_task]
        self.log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"conversql-bench-{self.port}.log",
                        "w")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + 600
        while True:
            if self.proc.poll() is not None:
                sys.exit(f"conversql serve exited with {self.proc.returncode}; see {self.log.name}")
            try:
                self.connect().close()
                return
            except Exception:
                if time.time() > deadline:
                    sys.exit("conversql serve did not accept connections")
                time.sleep(0.2)

    def connect(self):
        import psycopg
        conn = psycopg.connect(host="127.0.0.1", port=self.port, user="bench", dbname="conversql",
                               autocommit=True, prepare_threshold=None, connect_timeout=5)
        conn.execute(f"SET conversql.as_of = '{AS_OF}'")
        return conn

    def memory(self) -> dict:
        return proc_status(self.proc.pid)

    def cpu(self) -> float:
        return cpu_seconds(self.proc.pid)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


# ---------------------------------------------------------------------------
# Answers: normalised so both engines' results compare
# ---------------------------------------------------------------------------

def norm(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 9)
    if isinstance(value, decimal.Decimal):
        # A whole number compares with an integer: PostgreSQL's (and conversql's) sum of
        # bigints is a numeric, DuckDB's a hugeint.
        if value == value.to_integral_value():
            return int(value)
        return str(value.quantize(decimal.Decimal("0.01")))
    if isinstance(value, int):
        return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return tuple(norm(v) for v in value)
    return str(value)


def normalise(rows) -> list:
    return [tuple(norm(v) for v in row) for row in rows]


def diff(a: list, b: list) -> str:
    lines = [f"conversql {len(a)} rows, DuckDB {len(b)} rows"]
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            lines.append(f"  first difference at row {i}:\n    conversql {x}\n    duckdb    {y}")
            break
    else:
        longer = a if len(a) > len(b) else b
        if len(a) != len(b):
            lines.append(f"  extra row: {longer[min(len(a), len(b))]}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------

def timed(run, runs: int, budget: float, min_runs: int = 3):
    """First (cold) run, then up to `runs` warm runs (down to `min_runs` once they have taken
    `budget` seconds)."""
    started = time.perf_counter()
    rows = run()
    first = time.perf_counter() - started
    times = []
    spent = 0.0
    for _ in range(runs):
        started = time.perf_counter()
        run()
        elapsed = time.perf_counter() - started
        times.append(elapsed)
        spent += elapsed
        if spent > budget and len(times) >= min_runs:
            break
    return rows, first, statistics.median(times), len(times)


def ratio_text(ratio: float | None) -> str:
    return f"{ratio:.2f}" if ratio else "–"


def ms(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    return f"{seconds * 1000:,.1f}" if seconds < 10 else f"{seconds * 1000:,.0f}"


def compare(name: str, peer: str, rows_c, rows_p) -> bool:
    a, b = normalise(rows_c), normalise(rows_p)
    if a == b:
        return True
    print(f"\n!!! MISMATCH in '{name}' ({peer}):\n{diff(a, b)}\n", flush=True)
    return False


def run_suite(server: Server, fair, duck, runs: int, budget: float, min_runs: int, skip=(),
              workers: Workers | None = None):
    """Every question of the suite: conversql, then DuckDB with the same head start (`fair`),
    then DuckDB over the raw files (`duck`); either peer may be None. Per question it also
    records the CPU time the server and the workers used per conversql run."""
    conn = server.connect()
    results = []
    failed = False
    header = (f"{'query':38} {'conversql ms':>13} {'fair ms':>9} {'ratio':>6} {'raw ms':>9} "
              f"{'ratio':>6} {'peak RSS':>10}  answer")
    print(header)
    print("-" * len(header))
    for q in SUITE:
        if any(s in q.name for s in skip):
            print(f"{q.name:38} skipped (--skip)", flush=True)
            continue

        def ask_conversql(q=q):
            return conn.execute(q.conversql).fetchall()

        if q.setup:
            conn.execute(q.setup)
        n_runs = min(runs, q.max_runs) if q.max_runs else runs
        cpu_before = (server.cpu(), workers.cpu() if workers else 0.0)
        rows_c, first_c, med_c, n_c = timed(ask_conversql, n_runs, budget, min(min_runs, n_runs))
        cpu_server = (server.cpu() - cpu_before[0]) / (n_c + 1)
        cpu_workers = (workers.cpu() - cpu_before[1]) / (n_c + 1) if workers else None
        if q.setup:
            conn.execute("RESET " + q.setup.split()[1])
        mem = server.memory()
        medians = {}
        compared = []
        for peer, duck_conn in (("fair", None if q.raw_only else fair), ("raw", duck)):
            if duck_conn is None:
                continue

            def ask_duckdb(q=q, duck_conn=duck_conn):
                return duck_conn.execute(q.duckdb).fetchall()

            rows_d, _, medians[peer], _ = timed(ask_duckdb, runs, budget, min_runs)
            same = compare(q.name, f"DuckDB {peer}", rows_c, rows_d)
            failed |= not same
            compared.append(same)
        if not compared:
            verdict = "not compared"
        elif all(compared):
            verdict = f"same ({len(rows_c)} rows)"
        else:
            verdict = "MISMATCH"
        ratios = {peer: med_c / m for peer, m in medians.items() if m}
        results.append(dict(query=q, first_c=first_c, med_c=med_c, runs=n_c,
                            med_fair=medians.get("fair"), ratio_fair=ratios.get("fair"),
                            med_raw=medians.get("raw"), ratio_raw=ratios.get("raw"),
                            hwm=mem.get("VmHWM"), verdict=verdict, cpu_server=cpu_server,
                            cpu_workers=cpu_workers))
        print(f"{q.name:38} {ms(med_c):>13} {ms(medians.get('fair')):>9} "
              f"{ratio_text(ratios.get('fair')):>6} {ms(medians.get('raw')):>9} "
              f"{ratio_text(ratios.get('raw')):>6} {mib(mem.get('VmHWM')):>10}  {verdict}",
              flush=True)
    conn.close()
    return results, failed


def run_concurrency(server: Server, clients: int, duration: float, accounts: int):
    """`clients` connections running the dashboard mix for `duration` seconds."""
    latencies, errors = [], []
    lock = threading.Lock()
    stop_at = time.perf_counter() + duration
    barrier = threading.Barrier(clients)

    def client(n: int):
        rnd = random.Random(n)
        try:
            conn = server.connect()
        except Exception as e:  # noqa: BLE001
            with lock:
                errors.append(f"connect: {e}")
            barrier.abort()
            return
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass
        i = n
        while time.perf_counter() < stop_at:
            name, sql = DASHBOARD_MIX[i % len(DASHBOARD_MIX)]
            account = f"acc_{rnd.randrange(1, accounts + 1):03}"
            started = time.perf_counter()
            try:
                conn.execute(sql.format(account=account)).fetchall()
                with lock:
                    latencies.append((name, time.perf_counter() - started))
            except Exception as e:  # noqa: BLE001
                with lock:
                    errors.append(f"{name}: {e}")
                try:
                    conn.close()
                    conn = server.connect()
                except Exception:  # noqa: BLE001
                    pass
            i += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    all_lat = sorted(t for _, t in latencies)

    def pct(values, p):
        if not values:
            return None
        return values[min(len(values) - 1, int(math.ceil(p / 100 * len(values))) - 1)]

    per_query = {}
    for name, _ in DASHBOARD_MIX:
        values = sorted(t for n, t in latencies if n == name)
        per_query[name] = (len(values), pct(values, 50), pct(values, 99))
    return dict(clients=clients, elapsed=elapsed, completed=len(all_lat), errors=errors,
                throughput=len(all_lat) / elapsed, p50=pct(all_lat, 50), p99=pct(all_lat, 99),
                per_query=per_query, hwm=server.memory().get("VmHWM"))


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------

def machine(binary_given: bool) -> str:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            mem = int(line.split()[1]) * 1024
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                            text=True).stdout.strip()
    return (f"{os.cpu_count()} cores ({cpu}), {mem / 2**30:.0f} GiB RAM, "
            f"{platform.system()} {platform.release()}; conversql {commit} "
            f"({'the binary given by --binary' if binary_given else 'release build'}), "
            f"DuckDB {DUCKDB_VERSION} (Python), Python {platform.python_version()}")


def dataset_size(data: Path) -> str:
    # The log's files only, not the fact store kept under _conversql/.
    files = [p for table in ("accounts", "profiles", "messages", "events")
             for p in (data / table).rglob("*.parquet")]
    size = sum(p.stat().st_size for p in files)
    return f"{len(files)} Parquet files, {size / 2**20:,.0f} MiB"


def geometric_mean(values: list[float]) -> float | None:
    return math.exp(statistics.mean(math.log(v) for v in values)) if values else None


def report(args, key: str, summary: str, data: Path, results, failed, conc, peak, store=None,
           duck_build=None, landed=None) -> str:
    today = dt.date.today().isoformat()
    lines = [f"### {key}: SF{args.scale:g}"
             + (f", --memory-limit {args.memory_limit}" if args.memory_limit else ""),
             "",
             f"Measured {today} by `python3 benches/run.py {' '.join(sys.argv[1:])}`.",
             f"- Machine: {machine(args.binary is not None)}.",
             f"- Dataset `{data}`: {dataset_size(data)}; generator: {summary}.",
             f"- as_of {AS_OF}; account {ACCOUNT}; last 30 days = {FROM} … {TO}.",
             f"- Median of up to {args.runs} warm runs after one cold run, through the Postgres "
             "protocol (psycopg) for conversql and in-process for DuckDB "
             f"({os.cpu_count()} threads); ratio = conversql / DuckDB.",
             "- CPU per run: the CPU time (user and system, from /proc) `conversql serve` and "
             "the `conversql worker` processes used over a query's cold and warm runs, divided "
             "by the number of runs; the workers' share is the part of the work a cluster spreads.",
             "- DuckDB, same head start: the tables of `MATERIALISED` in `benches/run.py` built "
             "once with `CREATE TABLE … AS` in a DuckDB file, status and attribution computed at "
             "query time by the views of `benches/duckdb_views.sql`. DuckDB, raw files: the same "
             "views over the Parquet files, de-duplicating on every query.",
             ("- Fact store: " + (f"ready in {store['seconds']:.1f} s ({store['detail']}), peak RSS "
                                  f"{mib(store['hwm'])} then." if store else "not used (--no-facts)."))]
    cluster = getattr(args, "cluster", None)
    if cluster:
        lines.append(f"- Cluster: the server coordinates {len(cluster['peaks'])} `conversql worker` "
                     "processes on this machine (loopback gRPC); workers' peak RSS "
                     + ", ".join(mib(p) for p in cluster["peaks"]) + "; `cluster_workers` after the run: "
                     + "; ".join(f"{u} {st}, {t} tasks, {r} rows" for u, st, t, r in cluster["workers"])
                     + ".")
    fair = [r["ratio_fair"] for r in results if r["ratio_fair"]]
    if duck_build:
        build_ratio = (f"; ratio **{store['seconds'] / duck_build['seconds']:.2f}**"
                       if store and store.get("from_nothing") else
                       " (conversql's store was not built from nothing: --keep-facts)")
        lines.append(f"- Building the facts from the raw files: conversql "
                     f"{store['seconds'] if store else float('nan'):.1f} s, DuckDB "
                     f"{duck_build['seconds']:.1f} s ({duck_build['detail']}){build_ratio}.")
    if fair:
        lines += ["",
                  f"**Same head start: conversql / DuckDB {min(fair):.2f}–{max(fair):.2f} over "
                  f"{len(fair)} queries (geometric mean {geometric_mean(fair):.2f}); "
                  f"{sum(1 for r in fair if r <= 1.0)} of {len(fair)} at most as slow as DuckDB.**"]
    lines += ["",
              "| query | target | conversql cold ms | conversql median ms (runs) | "
              "DuckDB same head start ms | ratio | DuckDB raw files ms | ratio | "
              "server peak RSS after | server CPU ms per run | workers' CPU ms per run | answers |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in results:
        q = r["query"]
        target = {"dashboard": "≤ 100 ms", "thread": "≤ 50 ms"}.get(q.target, "")
        miss = ""
        limit = {"dashboard": 0.1, "thread": 0.05}.get(q.target)
        if limit and r["med_c"] > limit:
            miss = f" (missed ×{r['med_c'] / limit:.1f})"
        lines.append(f"| {q.name} | {target}{miss} | {ms(r['first_c'])} | {ms(r['med_c'])} ({r['runs']}) | "
                     f"{ms(r['med_fair'])} | {ratio_text(r['ratio_fair'])} | {ms(r['med_raw'])} | "
                     f"{ratio_text(r['ratio_raw'])} | {mib(r['hwm'])} | {ms(r['cpu_server'])} | "
                     f"{ms(r['cpu_workers'])} | {r['verdict']} |")
    left_out = [q.name for q in SUITE if any(s in q.name for s in args.skip)]
    if left_out:
        lines.append(f"| {', '.join(left_out)} | left out (--skip) | | | | | | | | | | |")
    lines.append("")
    lines.append(f"Server peak memory (VmHWM) over the suite: **{mib(peak)}**.")
    if failed:
        lines.append("")
        lines.append("**The engines' answers differ for at least one query (MISMATCH above).**")
    if conc:
        lines += ["",
                  f"Concurrency: {conc['clients']} clients, dashboard mix, {conc['elapsed']:.0f} s, "
                  f"random accounts of {args.accounts_in_mix}: **{conc['completed']} queries, "
                  f"{conc['throughput']:.1f} queries/s, {len(conc['errors'])} errors**, "
                  f"p50 {ms(conc['p50'])} ms, p99 {ms(conc['p99'])} ms; "
                  f"server peak RSS {mib(conc['hwm'])}.",
                  "",
                  "| dashboard query | completed | p50 ms | p99 ms |",
                  "|---|---:|---:|---:|"]
        for name, (n, p50, p99) in conc["per_query"].items():
            lines.append(f"| {name} | {n} | {ms(p50)} | {ms(p99)} |")
        if conc["errors"]:
            lines.append("")
            lines.append("First errors: " + "; ".join(sorted(set(conc["errors"]))[:3]))
    if landed:
        lines += freshness.report_lines(landed)
    return "\n".join(lines) + "\n"


def write_benchmarks(path: Path, key: str, section: str):
    begin, end = f"<!-- results:{key} -->", f"<!-- /results:{key} -->"
    text = path.read_text() if path.exists() else "# Benchmarks\n\n"
    block = f"{begin}\n{section}{end}"
    if begin in text and end in text:
        head, _, rest = text.partition(begin)
        _, _, tail = rest.partition(end)
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--scale", type=float, default=1.0, help="scale factor (default 1)")
    p.add_argument("--data", type=Path, help="dataset root (default "
                   "~/.cache/conversql/bench-data/sfSF; generated if missing)")
    p.add_argument("--runs", type=int, default=5, help="warm runs per query (default 5)")
    p.add_argument("--budget", type=float, default=60.0,
                   help="seconds of warm runs per query and engine after which --min-runs "
                        "suffice (default 60)")
    p.add_argument("--min-runs", type=int, default=3, help="warm runs at least (default 3)")
    p.add_argument("--memory-limit", help="passed to conversql serve (e.g. 4GB)")
    p.add_argument("--no-duckdb", action="store_true", help="skip DuckDB (no ratios, no checks)")
    p.add_argument("--no-duckdb-raw", action="store_true",
                   help="skip the DuckDB peer that reads the raw files on every query")
    p.add_argument("--no-duckdb-facts", action="store_true",
                   help="skip the DuckDB peer with the same head start (materialised tables)")
    p.add_argument("--duckdb-file", type=Path,
                   help="DuckDB's database file for the peer with the same head start, rebuilt "
                        "every run (default: beside the dataset, DATA.duckdb-facts/facts.duckdb)")
    p.add_argument("--keep-facts", action="store_true",
                   help="reuse conversql's fact store where it is (default: build it from "
                        "nothing in a new directory, timed against DuckDB's tables)")
    p.add_argument("--duckdb-memory-limit", help="DuckDB's memory_limit (default: its own)")
    p.add_argument("--concurrency", type=int, default=0,
                   help="also run the dashboard mix with this many clients (e.g. 32)")
    p.add_argument("--duration", type=float, default=60.0, help="seconds of the concurrency run")
    p.add_argument("--accounts-in-mix", type=int, default=10,
                   help="the concurrency run picks accounts acc_001 … acc_N at random (default 10)")
    p.add_argument("--skip-suite", action="store_true", help="only the concurrency run")
    p.add_argument("--landings", type=int, default=5,
                   help="after the suite, land this many hourly files of the busiest account "
                        "and then a whole day, timing the next answer (default 5; 0: none)")
    p.add_argument("--binary", type=Path, help="conversql binary (default: cargo build --release)")
    p.add_argument("--skip", action="append", default=[], metavar="TEXT",
                   help="leave out the questions whose name contains TEXT (repeatable)")
    p.add_argument("--no-facts", action="store_true",
                   help="serve without the fact store (every query from the raw log)")
    p.add_argument("--facts-dir", type=Path, help="the fact store's directory (default: conversql's)")
    p.add_argument("--workers", type=int, default=0,
                   help="run the server as a coordinator over this many `conversql worker` "
                        "processes on this machine (default 0: a single node)")
    p.add_argument("--scan-bytes-per-task", metavar="SIZE",
                   help="with --workers: passed to conversql serve (default: conversql's)")
    p.add_argument("--key", help="report section key (default sfSF[-memLIMIT][-wN])")
    p.add_argument("--report", type=Path, default=REPO / "BENCHMARKS.md",
                   help="file to write the figures into (default BENCHMARKS.md)")
    args = p.parse_args()
    if not (args.scale > 0):
        sys.exit("--scale must be positive")
    key = args.key or (scale_name(args.scale)
                       + (f"-mem{args.memory_limit}" if args.memory_limit else "")
                       + (f"-w{args.workers}" if args.workers else ""))
    data = args.data or Path.home() / ".cache" / "conversql" / "bench-data" / scale_name(args.scale)

    binary = build(args.binary)
    summary = ensure_data(binary, args.scale, data)
    duck = fair = duck_build = None
    if not args.no_duckdb:
        duckdb = ensure_duckdb()
        if not args.no_duckdb_raw:
            duck = duckdb_connect(duckdb, ":memory:", args.duckdb_memory_limit)
            duck.execute(duckdb_views(data))
        if not args.no_duckdb_facts:
            path = args.duckdb_file or data.parent / f"{data.name}.duckdb-facts" / "facts.duckdb"
            print(f"building DuckDB's tables in {path} …", flush=True)
            fair, seconds, detail = build_duckdb_facts(duckdb, data, path, args.duckdb_memory_limit)
            duck_build = dict(seconds=seconds, detail=detail)
            print(f"DuckDB's tables built in {seconds:.1f} s ({detail})", flush=True)

    facts_dir = args.facts_dir
    from_nothing = not args.no_facts and not args.keep_facts
    if from_nothing:
        # A new store, so that its build from nothing is what the first statement times.
        facts_dir = facts_dir or data.parent / f"{data.name}.facts"
        shutil.rmtree(facts_dir, ignore_errors=True)
    facts = ["--no-facts"] if args.no_facts else (["--facts-dir", str(facts_dir)] if facts_dir else [])
    workers = Workers(binary, args.workers) if args.workers else None
    server = Server(binary, data, args.memory_limit, facts, workers, args.scan_bytes_per_task)
    print(f"conversql serve pid {server.proc.pid} on port {server.port}; startup RSS "
          f"{mib(server.memory().get('VmRSS'))}", flush=True)
    store = None
    if not args.no_facts:
        # The first statement brings the fact store up to date with the files (building it if
        # there is none yet); timed on its own so the suite's cold runs are those of queries.
        started = time.perf_counter()
        conn = server.connect()
        conn.execute("SELECT count(*) FROM conversation_facts").fetchall()
        conn.close()
        server.log.flush()
        lines = [l for l in Path(server.log.name).read_text().splitlines() if "fact store generation" in l]
        store = dict(seconds=time.perf_counter() - started,
                     detail=re.sub(r"\x1b\[[0-9;]*m", "", lines[-1]).split("conversql::facts:", 1)[-1].strip()
                     if lines else "already up to date",
                     hwm=server.memory().get("VmHWM"), from_nothing=from_nothing)
        print(f"fact store ready in {store['seconds']:.1f} s ({store['detail']}); "
              f"peak RSS {mib(store['hwm'])}", flush=True)
    results, failed, conc, landed, landed_files = [], False, None, None, []
    try:
        if not args.skip_suite:
            results, failed = run_suite(server, fair, duck, args.runs, args.budget, args.min_runs,
                                        args.skip, workers)
        if args.concurrency:
            print(f"\n{args.concurrency} clients, dashboard mix, {args.duration:.0f} s …", flush=True)
            conc = run_concurrency(server, args.concurrency, args.duration, args.accounts_in_mix)
            print(f"{conc['completed']} queries, {conc['throughput']:.1f}/s, "
                  f"{len(conc['errors'])} errors, p50 {ms(conc['p50'])} ms, p99 {ms(conc['p99'])} ms",
                  flush=True)
            if conc["errors"]:
                failed = True
                print("errors:", sorted(set(conc["errors"]))[:5])
        if args.landings and not args.no_facts:
            print(f"\nlanding files into {data} …", flush=True)
            landed = freshness.measure(server, data, args.landings, landed_files)
        peak = server.memory().get("VmHWM")
        if workers:
            worker_peaks = [m.get("VmHWM") for m in workers.memory()]
            print("workers' peak memory (VmHWM): " + ", ".join(mib(w) for w in worker_peaks))
            conn = server.connect()
            rows = conn.execute("SELECT url, state, tasks_run, rows_out FROM cluster_workers").fetchall()
            conn.close()
            print("cluster_workers:", rows, flush=True)
            args.cluster = dict(peaks=worker_peaks, workers=rows)
    finally:
        server.stop()
        if workers:
            workers.stop()
        freshness.remove(landed_files)
    print(f"\nserver peak memory (VmHWM): {mib(peak)}")
    write_benchmarks(args.report, key,
                     report(args, key, summary, data, results, failed, conc, peak, store,
                            duck_build, landed))
    print(f"wrote section '{key}' of {args.report}")
    if failed:
        print("FAILED: answers differ or errors occurred (see above)", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
