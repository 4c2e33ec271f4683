"""Benchmark: a full warning run for one period next to the full statistics run on the same data.

Builds (or reuses) a benchmark database with :func:`chainwatch.demo.scale.build_benchmark_db`
(200,000 enterprises × 60 months by default; ``--quick``: 20,000 × 60), then in one process times

* ``cw.stats.compute(period, by="all")``: the statistics run (all groupings, all indicators);
* ``cw.risk.run(period, persist=False)``: load, evaluate every rule of the default rule set;
* ``cw.risk.run(period)``: the same plus storing the warnings (first run: all warnings new).

Prints medians of ``--repeats`` runs and the ratio warning run / statistics run (target: the same
order of magnitude, i.e. below 10×).

Usage: ``python bench/warn_bench.py [--quick] [--enterprises N] [--months M] [--db PATH] [--repeats R]``
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path


def _timed(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="20,000 enterprises instead of 200,000")
    ap.add_argument("--enterprises", type=int, default=None)
    ap.add_argument("--months", type=int, default=60)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--db", default=None, help="reuse/keep the benchmark database at this path")
    args = ap.parse_args()
    n = args.enterprises or (20_000 if args.quick else 200_000)
    from chainwatch.demo.scale import build_benchmark_db
    from chainwatch.service import Chainwatch

    tmp = Path(tempfile.mkdtemp(prefix="warn_bench_"))
    db = Path(args.db) if args.db else tmp / f"bench_{n}_{args.months}.duckdb"
    t0 = time.perf_counter()
    if not db.exists():
        build_benchmark_db(db, n_enterprises=n, n_months=args.months)
        print(f"built {db} ({n:,} enterprises × {args.months} months) in {time.perf_counter() - t0:.1f} s")
    with Chainwatch(str(db), lang="zh", actor="bench") as cw:
        period = cw.store.scalar("SELECT max(period) FROM monthly_value")
        rows = cw.store.scalar("SELECT count(*) FROM monthly_value")
        print(f"period {period}; monthly rows {rows:,}")
        t_stats, res = _timed(lambda: cw.stats.compute(period, by="all"), args.repeats)
        print(f"statistics run (by=all, all indicators): {t_stats:.2f} s  ({len(res.tables['rows']):,} rows)")
        t_eval, res = _timed(lambda: cw.risk.run(period, persist=False), args.repeats)
        print(f"warning run without storing:             {t_eval:.2f} s  (load {res.meta['seconds_load']:.2f} s, "
              f"evaluate {res.meta['seconds_evaluate']:.2f} s; {len(res.tables['warnings']):,} firing rows)")
        work = tmp / "persist.duckdb"
    persist_times = []
    for _ in range(args.repeats):
        shutil.copy(db, work)
        with Chainwatch(str(work), lang="zh", actor="bench") as cw2:
            t0 = time.perf_counter()
            res = cw2.risk.run(period)
            persist_times.append(time.perf_counter() - t0)
    t_full = statistics.median(persist_times)
    print(f"warning run with storing (first run):    {t_full:.2f} s  ({res.meta['counts']['active']:,} warnings)")
    print(f"ratio warning run / statistics run:      {t_full / t_stats:.2f}× (evaluate-only {t_eval / t_stats:.2f}×)")
    if not args.db:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
