"""Benchmark of the demo generators: time and peak memory of the default demo city and of both large sizes.

Each scenario runs in its own subprocess, so its peak resident memory (``ru_maxrss``, which includes
NumPy, Arrow and DuckDB buffers) is its own. (tracemalloc is not used: it slows the Python-heavy
parts of the generator several-fold and would distort the times.)
Every large scenario is compared with a floor measured in the same run:

* ``bench_db``   – :func:`chainwatch.demo.scale.build_benchmark_db` (200,000 enterprises × 60 months)
  vs. a plain DuckDB ``INSERT … SELECT FROM read_parquet`` of the same monthly rows (the floor);
* ``monthly_pq`` – :func:`write_monthly_parquet` (same size) vs. writing an all-zero table of the same
  shape with pyarrow;
* ``network``    – :func:`network` (1,000,000 firms, 10,000,000 links) vs. drawing the same number of
  uniform random pairs with NumPy;
* ``demo``       – ``build_demo`` with the default size (generation and validated import separately).

Usage: ``python bench/demo_bench.py [--quick] [--repeats N]`` (``--quick``: 20,000 × 60 and
100,000 firms / 1,000,000 links; medians of 3 repeats unless --repeats).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_scenario(name: str, size: dict[str, int], tmp: str) -> dict[str, float]:
    """Run one scenario in this process and return its figures."""
    from chainwatch.demo import scale

    out: dict[str, float] = {}
    t0 = time.perf_counter()
    if name == "demo":
        from chainwatch.demo.generator import generate
        from chainwatch.demo.loader import load
        from chainwatch.store import Store

        data = generate(2021, size["demo_enterprises"])
        out["generate_s"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        path = Path(tmp) / "demo.duckdb"
        with Store.open(path) as store:
            rows = load(store, data)
        out["import_s"] = time.perf_counter() - t1
        out["rows"] = float(sum(rows.values()))
    elif name == "bench_db":
        counts = scale.build_benchmark_db(Path(tmp) / "bench.duckdb", size["enterprises"], size["months"], seed=1)
        out["rows"] = float(counts["monthly_value"])
    elif name == "bench_db_floor":
        import duckdb  # noqa: F401

        from chainwatch.store import Store

        pq = Path(tmp) / "floor.parquet"
        scale.write_monthly_parquet(pq, size["enterprises"], size["months"], seed=1)
        t0 = time.perf_counter()
        with Store.open(Path(tmp) / "floor.duckdb") as store:
            store.con.execute("SET enable_progress_bar = false").fetchall()
            store.con.execute(
                "INSERT INTO monthly_value (uscc, period, year, month, gross_output, value_added, revenue, total_profit, "
                "taxes, export_value, electricity, employees) SELECT uscc, period, CAST(substr(period, 1, 4) AS INT), "
                "CAST(substr(period, 6, 2) AS INT), gross_output, value_added, revenue, total_profit, taxes, "
                f"export_value, electricity, employees FROM read_parquet('{pq}')").fetchall()
            out["rows"] = float(store.scalar("SELECT count(*) FROM monthly_value"))
    elif name == "monthly_pq":
        out["rows"] = float(scale.write_monthly_parquet(Path(tmp) / "m.parquet", size["enterprises"], size["months"], 1))
    elif name == "monthly_pq_floor":
        import numpy as np
        import pyarrow as pa
        import pyarrow.parquet as pq

        n = size["enterprises"] * size["months"]
        block = scale.BLOCK * size["months"]
        schema = None
        with tempfile.NamedTemporaryFile(dir=tmp, suffix=".parquet") as fh:
            writer = None
            for lo in range(0, n, block):
                k = min(block, n - lo)
                cols = {"uscc": pa.array(["913302000000000000"] * k), "period": pa.array(["2021-01"] * k)}
                cols.update({c: pa.array(np.zeros(k)) for c in scale.MONTHLY_COLUMNS[2:]})
                table = pa.table(cols)
                schema = schema or table.schema
                writer = writer or pq.ParquetWriter(fh.name, schema, compression="zstd")
                writer.write_table(table)
            if writer:
                writer.close()
        out["rows"] = float(n)
    elif name == "network":
        net = scale.network(size["firms"], size["links"], seed=1)
        out["rows"] = float(net.src.size)
    elif name == "network_floor":
        import numpy as np

        rng = np.random.default_rng(1)
        src = rng.integers(0, size["firms"], size["links"], dtype=np.int32)
        dst = rng.integers(0, size["firms"], size["links"], dtype=np.int32)
        w = rng.random(size["links"])
        out["rows"] = float(src.size + dst.size * 0 + w.size * 0)
    else:
        raise SystemExit(f"unknown scenario {name}")
    out["seconds"] = time.perf_counter() - t0
    out["rss_peak_mb"] = _peak_rss_mb()
    return out


def _child(name: str, size: dict[str, int]) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="cw_demo_bench_") as tmp:
        proc = subprocess.run([sys.executable, __file__, "--run", name, "--size", json.dumps(size), "--tmp", tmp],
                              capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller sizes, 3 repeats")
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--run", help=argparse.SUPPRESS)
    ap.add_argument("--size", help=argparse.SUPPRESS)
    ap.add_argument("--tmp", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.run:
        print(json.dumps(run_scenario(args.run, json.loads(args.size), args.tmp)))
        return
    size = ({"enterprises": 20_000, "months": 60, "firms": 100_000, "links": 1_000_000, "demo_enterprises": 5000}
            if args.quick else
            {"enterprises": 200_000, "months": 60, "firms": 1_000_000, "links": 10_000_000, "demo_enterprises": 5000})
    repeats = args.repeats or (3 if args.quick else 1)
    print(f"chainwatch demo benchmark ({'quick' if args.quick else 'full'}; median of {repeats}; "
          f"{os.cpu_count()} CPUs visible)")
    print(f"sizes: {size}")
    pairs = [("demo", None), ("bench_db", "bench_db_floor"), ("monthly_pq", "monthly_pq_floor"),
             ("network", "network_floor")]
    print(f"{'scenario':<18}{'rows':>14}{'seconds':>10}{'rss peak MB':>13}{'floor s':>10}{'ratio':>8}")
    for name, floor in pairs:
        runs = [_child(name, size) for _ in range(repeats)]
        sec = statistics.median(r["seconds"] for r in runs)
        rss = max(r["rss_peak_mb"] for r in runs)
        floor_s = statistics.median(_child(floor, size)["seconds"] for _ in range(repeats)) if floor else None
        ratio = f"{sec / floor_s:8.2f}" if floor_s else f"{'':>8}"
        fs = f"{floor_s:10.2f}" if floor_s else f"{'':>10}"
        print(f"{name:<18}{int(runs[0]['rows']):>14,}{sec:>10.2f}{rss:>13.0f}{fs}{ratio}")
        if name == "demo":
            g = statistics.median(r["generate_s"] for r in runs)
            i = statistics.median(r["import_s"] for r in runs)
            print(f"{'  generate':<18}{'':>14}{g:>10.2f}")
            print(f"{'  validated import':<18}{'':>14}{i:>10.2f}")


if __name__ == "__main__":
    main()
