#!/usr/bin/env python3
"""The cluster's sizing model, derived from the harness's sections of BENCHMARKS.md.

    python3 benches/cluster_model.py          # sections sf10-cluster-w0 and sf10-spread-w2
    python3 benches/cluster_model.py --single sf1-cluster-w0 --spread sf1-spread-w2

It reads, per query, the single node's median and CPU per run (section --single) and the
coordinator's and the workers' CPU per run of a run with workers (section --spread), both
measured on one machine (`python3 benches/run.py … [--workers N] --key KEY`), and prints:

- the fixed cost of distributing a query: the wall time of the run with workers that its CPU
  does not explain (median - CPU of coordinator and workers / cores): stage set-up, plans
  encoded and decoded, batches through gRPC, waiting between stages;
- the CPU distribution adds (coordinator + workers - single node);
- the projected time on N worker machines of CORES cores each, beside a coordinator of as many:
  fixed cost + coordinator CPU / cores + workers' CPU / (N x cores), the workers' CPU dividing
  evenly over their tasks (one task per worker and stage);
- the least N for which the projection beats the single node, if any.

The model is first order: it assumes the work of a stage divides evenly, that the network adds
nothing to loopback (add a round trip per stage on a real one), and that a machine's cores
run a task's partitions in parallel as they do here. docs/cluster-sizing.md explains it.
"""

import argparse
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def section(text: str, key: str) -> str:
    begin, end = f"<!-- results:{key} -->", f"<!-- /results:{key} -->"
    if begin not in text:
        sys.exit(f"BENCHMARKS.md has no section {key}: run benches/run.py --key {key} first")
    return text.split(begin, 1)[1].split(end, 1)[0]


def number(cell: str) -> float | None:
    match = re.match(r"\s*([\d,]+(?:\.\d+)?)", cell)
    return float(match.group(1).replace(",", "")) if match else None


def rows(text: str) -> dict[str, dict]:
    """Per query: median ms, server CPU ms per run, workers' CPU ms per run."""
    out = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 12 or cells[0] in ("query", "---") or cells[0].startswith("-"):
            continue
        median, server, workers = number(cells[3]), number(cells[9]), number(cells[10])
        if median is None or server is None:
            continue
        out[cells[0]] = dict(median=median, server=server, workers=workers or 0.0)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--report", type=Path, default=REPO / "BENCHMARKS.md")
    p.add_argument("--single", default="sf10-cluster-w0",
                   help="the section of the single node's run (default sf10-cluster-w0)")
    p.add_argument("--spread", default="sf10-spread-w2",
                   help="the section of a run with workers (default sf10-spread-w2: 2 workers, "
                        "--scan-bytes-per-task 32MB, so that every query is distributed)")
    p.add_argument("--cores", type=int, default=2, help="cores of the machine measured on, "
                   "and of each projected machine")
    p.add_argument("--machines", default="1,2,4,8", help="worker machines to project for")
    args = p.parse_args()
    text = args.report.read_text()
    single = rows(section(text, args.single))
    spread = rows(section(text, args.spread))
    machines = [int(n) for n in args.machines.split(",")]
    c = args.cores
    print(f"From {args.report.name} sections {args.single} and {args.spread}; "
          f"{c} cores per machine; ms.\n")
    print("| query | single node | with workers | coordinator CPU | workers' CPU | "
          "CPU added | fixed cost | " + " | ".join(f"{n} machines" for n in machines)
          + " | pays off from |")
    print("|---|---:|---:|---:|---:|---:|---:|" + "---:|" * len(machines) + "---:|")
    for name, s in single.items():
        d = spread.get(name)
        if d is None:
            continue
        fixed = max(0.0, d["median"] - (d["server"] + d["workers"]) / c)
        projected = [fixed + d["server"] / c + d["workers"] / (n * c) for n in machines]
        pays = next((n for n, t in zip(machines, projected) if t < s["median"]), None)
        verdict = (f"{pays} machines" if pays else "never") if d["workers"] else "ran on the coordinator"
        added = d["server"] + d["workers"] - s["server"]
        print(f"| {name} | {s['median']:,.1f} | {d['median']:,.1f} | {d['server']:,.1f} | "
              f"{d['workers']:,.1f} | {added:+,.1f} | {fixed:,.1f} | "
              + " | ".join(f"{t:,.0f}" for t in projected)
              + f" | {verdict} |")


if __name__ == "__main__":
    main()
