"""Benchmark: the same work on DuckDB and on PostgreSQL, in the same run.

1. **Reporting commands** on the demo city (seed 2021, 5,000 enterprises): statistics (total and all
   groupings), chain overview, warning run, warning summary, tier pipeline, policy match, trade summary,
   a cascade scenario, the bulletin (HTML) — medians of ``--repeat`` runs per backend and the ratio
   PostgreSQL / DuckDB.
2. **Interactive pages** of the dashboard on the demo city (FastAPI TestClient, an admin session, after a
   warm-up request): p50 / p95 per page per backend; target every page under 1 s p95 on PostgreSQL.
3. **Statistics at scale** (``--scale``): the full monthly statistics (every grouping and indicator) on
   200,000 enterprises × 60 months (``--quick``: 20,000 × 36), the same database on both backends (copied
   by ``chainwatch store copy``); the statistics run as Ibis-compiled SQL on each engine.

PostgreSQL is a throw-away local cluster started from the Debian binaries (``initdb``/``pg_ctl``, durability
off like the test cluster) unless ``--pg URL`` names a database to use (its contents are replaced).

Usage::

    python bench/store_bench.py                 # demo city: commands and pages
    python bench/store_bench.py --scale --quick # + statistics on 20k × 36
    python bench/store_bench.py --scale         # + statistics on 200k × 60 (builds a ~1 GB DuckDB file once)
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PERIOD = "2021-11"


def timed(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def commands(cw: Any) -> dict[str, Callable[[], Any]]:
    chain = cw.store.scalar("SELECT min(chain_id) FROM chain")
    country = cw.store.scalar("SELECT supplier_country FROM supply_link WHERE supplier_country <> 'CHN' "
                              "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
    stats_cache = __import__("chainwatch.service.stats", fromlist=["_SQL_CACHE"])._SQL_CACHE
    return {
        "stats total": lambda: cw.stats.compute(PERIOD),
        "stats by all (compiled SQL cached)": lambda: cw.stats.compute(PERIOD, by="all"),
        "stats by all (compile included)": lambda: (stats_cache.clear(), cw.stats.compute(PERIOD, by="all")),
        "stats series (chain, 23 months)": lambda: cw.stats.series("chain", chain, "gross_output", "2020-01", PERIOD),
        "chains overview": lambda: (cw.chains._data.clear() if hasattr(cw.chains, "_data") else None,
                                    cw.chains.overview()),
        "warn run": lambda: cw.risk.run(PERIOD),
        "warnings summary + list": lambda: (cw.risk.summary(PERIOD), cw.risk.list(period=PERIOD)),
        "assess pipeline": lambda: cw.cultivation.pipeline(date="2021-12-31"),
        "policy match": lambda: (cw.policy._inputs.clear(), cw.policy.match("rd-subsidy-zjtx", period=PERIOD)),
        "trade summary by group": lambda: cw.trade.summary(PERIOD, by="group"),
        "shock cascade": lambda: cw.shock.run({"horizon_months": 6, "inventory_days": 15, "recovery_months": 2,
                                               "shocks": [{"country": country, "capacity_pct": 0, "months": 3}]}),
        "bulletin html": lambda: cw.reports.bulletin(PERIOD, "html"),
    }


def bench_commands(dbs: dict[str, str], repeat: int) -> None:
    from chainwatch.service import Chainwatch

    print(f"\n## Reporting commands on the demo city (median of {repeat}, seconds)")
    print(f"{'command':40s} {'duckdb':>9s} {'postgresql':>11s} {'ratio':>7s}")
    results: dict[str, dict[str, float]] = {}
    for backend, db in dbs.items():
        with Chainwatch(db, lang="zh", actor="bench") as cw:
            cw.risk.run(PERIOD)  # warnings exist for the summary and the bulletin
            for name, fn in commands(cw).items():
                fn()  # warm: connections, Ibis table schemas, first compile
                results.setdefault(name, {})[backend] = timed(fn, repeat)
    for name, r in results.items():
        print(f"{name:40s} {r['duckdb']:9.3f} {r['postgresql']:11.3f} {r['postgresql'] / r['duckdb']:6.2f}×")


def bench_pages(dbs: dict[str, str], repeat: int) -> None:
    from fastapi.testclient import TestClient

    from chainwatch.service import Chainwatch
    from chainwatch.web.app import create_app

    chain = None
    print(f"\n## Dashboard pages on the demo city ({repeat} requests each after one warm-up; ms)")
    print(f"{'page':28s} {'duckdb p50':>11s} {'p95':>7s} {'postgresql p50':>15s} {'p95':>7s}")
    table: dict[str, dict[str, tuple[float, float]]] = {}
    for backend, db in dbs.items():
        with Chainwatch(db, lang="zh", actor="bench") as cw:
            if not cw.store.scalar("SELECT count(*) FROM web_user WHERE username = 'bench'"):
                cw.users.add("bench", "bench-pass-123", "admin")
            chain = chain or cw.store.scalar("SELECT min(chain_id) FROM chain")
            wid = cw.store.scalar("SELECT min(id) FROM warning")
            uscc = cw.store.scalar("SELECT min(uscc) FROM segment_enterprise")
            app = create_app(cw=cw, warm=False)
            with TestClient(app) as client:
                r = client.post("/api/auth/login", json={"username": "bench", "password": "bench-pass-123"})
                client.headers["Authorization"] = f"Bearer {r.json()['token']}"
                pages = ["/", "/chains", f"/chains/{chain}", "/warnings", f"/warnings/{wid}", "/cultivation",
                         "/policy", "/trade", "/simulation", "/imports", f"/enterprises/{uscc}",
                         f"/api/stats?period={PERIOD}&by=chain", f"/api/warnings?period={PERIOD}"]
                for page in pages:
                    first = client.get(page)
                    if first.status_code != 200:
                        continue
                    times = []
                    for _ in range(repeat):
                        t0 = time.perf_counter()
                        client.get(page)
                        times.append((time.perf_counter() - t0) * 1000)
                    times.sort()
                    table.setdefault(page, {})[backend] = (statistics.median(times),
                                                           times[min(len(times) - 1, int(0.95 * len(times)))])
    worst = 0.0
    for page, r in table.items():
        d, p = r.get("duckdb", (float("nan"),) * 2), r.get("postgresql", (float("nan"),) * 2)
        worst = max(worst, p[1])
        print(f"{page[:28]:28s} {d[0]:11.1f} {d[1]:7.1f} {p[0]:15.1f} {p[1]:7.1f}")
    print(f"slowest PostgreSQL page p95: {worst:.0f} ms (target < 1000 ms)")


def bench_scale(pg: Any, folder: Path, quick: bool, repeat: int) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from stats_bench import build_db

    from chainwatch.service import Chainwatch
    from chainwatch.store import Store
    from chainwatch.store.copy import copy_database

    n, months = (20_000, 36) if quick else (200_000, 60)
    cache = ROOT / ".bench" / f"stats-{n}x{months}.duckdb"
    if not cache.exists():
        cache.parent.mkdir(exist_ok=True)
        build_db(cache, n, months)
    url = pg.create_database(f"cw_scale_{n}") if hasattr(pg, "create_database") else pg
    t0 = time.perf_counter()
    with Store.open(cache, read_only=True) as src, Store.open(url) as dst:
        copy_database(src, dst, replace=True)
        dst.native("ANALYZE")
    copy_s = time.perf_counter() - t0
    with Store.open(cache, read_only=True) as s:
        last = s.scalar("SELECT max(period) FROM monthly_value")
    print(f"\n## Full statistics at {n:,} enterprises × {months} months, period {last} (median of {repeat}, s)")
    print(f"(store copy DuckDB → PostgreSQL: {copy_s:.1f} s)")
    out = {}
    for backend, db in (("duckdb", str(cache)), ("postgresql", url)):
        with Chainwatch(db, read_only=backend == "duckdb", create=False) as cw:
            cw.stats.compute(last, by="all")
            out[backend] = timed(lambda cw=cw: cw.stats.compute(last, by="all"), repeat)
            total = timed(lambda cw=cw: cw.stats.compute(last), repeat)
            print(f"{backend:11s} by all {out[backend]:8.2f}   total only {total:8.2f}")
    print(f"ratio PostgreSQL / DuckDB (by all): {out['postgresql'] / out['duckdb']:.2f}×")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--pages", type=int, default=20, help="requests per page")
    ap.add_argument("--pg", help="PostgreSQL URL to use instead of a throw-away local cluster")
    ap.add_argument("--scale", action="store_true", help="also the statistics at 200k × 60 (or --quick)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--skip-demo", action="store_true", help="only --scale")
    args = ap.parse_args()
    import warnings

    warnings.filterwarnings("ignore")  # pandas PerformanceWarnings of the services would drown the tables

    from chainwatch.demo.loader import build_demo
    from chainwatch.store import Store
    from chainwatch.store.copy import copy_database
    from chainwatch.store.pglocal import LocalPostgres

    folder = Path(tempfile.mkdtemp(prefix="cw-store-bench-"))
    server = None
    try:
        if args.pg:
            pg: Any = args.pg
            demo_url = args.pg
        else:
            server = LocalPostgres(folder / "pg").start()
            pg = server
            demo_url = server.create_database("cw_demo")
        if not args.skip_demo:
            duck = folder / "demo.duckdb"
            t0 = time.perf_counter()
            build_demo(duck, seed=2021, n_enterprises=5000)
            t1 = time.perf_counter()
            with Store.open(duck, read_only=True) as src, Store.open(demo_url) as dst:
                copy_database(src, dst, replace=True)
                dst.native("ANALYZE")
            print(f"demo city: built in {t1 - t0:.1f} s, copied to PostgreSQL in {time.perf_counter() - t1:.1f} s")
            dbs = {"duckdb": str(duck), "postgresql": demo_url}
            bench_commands(dbs, args.repeat)
            bench_pages(dbs, args.pages)
        if args.scale:
            bench_scale(pg, folder, args.quick, max(1, args.repeat // 2))
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
