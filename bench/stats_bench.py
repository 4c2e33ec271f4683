"""Benchmark: the full monthly statistics (all groupings, all indicators, one period).

Compares, in the same run and on the same database:

* ``ibis``   – chainwatch's analytics (``stats_expr``: Ibis expressions compiled to DuckDB SQL), timed
  end to end (building the expression, compiling it to SQL, running it, fetching the result; the
  service caches the compiled SQL, the benchmark does not);
* ``fair``   – (a) one hand-written DuckDB SQL query computing the same numbers as a DuckDB user would
  write it (cells rolled up with ``GROUPING SETS``, ``CASE`` sums; see :func:`handwritten_sql`);
* ``plan``   – the same query copied from the Ibis plan (kept for comparison: ≈1× against it only
  shows that the two are the same query);
* ``pandas`` – (b) the plain-pandas reference of the tests (``tests/stats/reference.py``), given the
  needed tables as DataFrames (reading them from DuckDB is timed separately).

Each variant runs in its own child process, so the reported peak memory (max RSS) is that
variant's alone. Times are medians of ``--repeat`` runs. The results must be identical (to 1.1e-12
relative); the targets are ibis within 1.2× of the fair hand-written SQL (1.5× with ``--quick``).

Usage::

    python bench/stats_bench.py            # 200,000 enterprises × 60 months (builds a ~1 GB database once)
    python bench/stats_bench.py --quick    # 20,000 enterprises × 36 months
"""

from __future__ import annotations

import argparse
import calendar
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "stats"))

IND = ("gross_output", "value_added", "revenue", "total_profit", "profit_tax", "export_value", "electricity",
       "employees")
STOCK = {"employees"}
TABLES = ("monthly_value", "enterprise", "enterprise_scope", "deflator", "segment_enterprise", "segment", "chain",
          "enterprise_annual")
ALL_BY = ("total", "chain", "segment", "cluster", "district", "industry", "size")
LABELS = {"fair": "hand-written SQL (fair)", "plan": "SQL, plan copy", "ibis": "ibis", "pandas": "pandas reference"}


# --------------------------------------------------------------------------------------------- data
def build_db(path: Path, n: int, months: int) -> None:
    """The benchmark city from chainwatch.demo.scale, plus annual data (size classes) and a PPI table."""
    from chainwatch.demo.scale import build_benchmark_db
    from chainwatch.store import Store

    t0 = time.perf_counter()
    build_benchmark_db(path, n_enterprises=n, n_months=months)
    with Store.open(path) as store:
        con = store.con
        # annual employees and revenue (万元) from the monthly returns, for the size grouping
        con.execute("""INSERT INTO enterprise_annual (uscc, year, employees, revenue)
                       SELECT uscc, year, avg(employees), sum(revenue) FROM monthly_value
                       WHERE uscc NOT LIKE '%3' GROUP BY uscc, year""").fetchall()
        # PPI: all industry ('*') plus the divisions 26, 38 and 39, months and cumulative
        con.execute("""INSERT INTO deflator (industry, period, span, index_value)
                       SELECT ind, period, span, 100 + 6 * sin(hash(ind || period || span) % 1000)
                       FROM (SELECT DISTINCT period FROM monthly_value),
                            (VALUES ('*'), ('26'), ('38'), ('39')) i(ind),
                            (VALUES ('month'), ('cumulative')) s(span)""").fetchall()
        con.execute("CHECKPOINT").fetchall()
    print(f"built {path} in {time.perf_counter() - t0:.1f} s", flush=True)


# ---------------------------------------------------------------------------- hand-written SQL (a)
def handwritten_sql(year: int, month: int, fair: bool = False) -> str:
    """One DuckDB query computing the same wide table as ``stats_expr`` (policy 'exclude').

    The repetitive per-indicator column lists are expanded with f-strings; the query shape
    (panel → caliber → memberships → group sums → measures) is written by hand.

    ``fair=False`` is the *plan copy*: it follows the Ibis plan step by step (every grouping joins a
    membership list to the caliber frame; filtered aggregates), so its time says only that the two are
    the same query. ``fair=True`` is what a DuckDB user would write: (a) the partition groupings
    (total, district, industry, size) sum the caliber frame once per district × industry × size cell
    and roll the cells up with ``GROUPING SETS``; only chain, segment and cluster join their
    membership lists; (b) ``sum(CASE WHEN … THEN x END)`` instead of ``sum(x) FILTER (WHERE …)``. The
    caliber frame, read by both parts, is ``MATERIALIZED``: DuckDB would otherwise inline it twice and
    take 5–8× longer.
    """
    def fsum(x: str, cond: str) -> str:   # a filtered sum, in the query's style
        return f"sum(CASE WHEN {cond} THEN {x} END)" if fair else f"sum({x}) FILTER (WHERE {cond})"

    def fcount(cond: str) -> str:
        return f"sum(CASE WHEN {cond} THEN 1 ELSE 0 END)" if fair else f"count(*) FILTER (WHERE {cond})"

    m = max(month, 2)
    span_m = "cumulative" if m == 2 else "month"
    per = {k: f"{year - k:04d}-{m:02d}" for k in range(2)}
    end = {k: f"{year - k:04d}-{m:02d}-{calendar.monthrange(year - k, m)[1]:02d}" for k in (1, 2)}
    ks, ss = (0, 1), ("m", "c")

    first = 1 if m == 2 else m
    s1 = ["count(*) AS n"] + [f"sum(coalesce({i}, 0)) AS s_{i}" for i in IND]
    panel = []
    for k in range(3):
        for s in ss:
            w = f"year = {year - k}" + (" AND off" if s == "m" else "")
            panel.append(f"coalesce({fsum('n', w)}, 0) AS has_{s}{k}")
            for i in IND:
                panel.append(f"coalesce({fsum(f's_{i}', w)}, 0) AS {i}_{s}{k}")
    means = [f"CASE WHEN has_{s}{k} > 0 THEN {i}_{s}{k} / has_{s}{k} ELSE 0 END AS {i}_{s}{k}"
             for k in range(3) for s in ss for i in IND if i in STOCK]
    stock_cols = [f"{i}_{s}{k}" for k in range(3) for s in ss for i in IND if i in STOCK]
    dx = [(f"max(CASE WHEN period = '{per[k]}' AND span = '{span_m if s == 'm' else 'cumulative'}' THEN index_value END) "
           if fair else
           f"max(index_value) FILTER (WHERE period = '{per[k]}' AND span = '{span_m if s == 'm' else 'cumulative'}') ")
          + f"AS ix_{s}{k}" for k in ks for s in ss]
    flags = []
    for k in ks:
        for s in ss:
            flags += [f"sc{k} AND has_{s}{k} > 0 AS in_{s}{k}", f"has_{s}{k + 1} > 0 AS own_{s}{k}",
                      f"coalesce(founded > DATE '{end[k + 1]}', false) AS nw_{s}{k}",
                      f"coalesce(d.ix_{s}{k}, x.ix_{s}{k}) AS X_{s}{k}"]
    cal = ["uscc", "total_profit_c0 AS profit_c0"]
    for k in ks:
        for s in ss:
            use = f"(in_{s}{k} AND (own_{s}{k} OR nw_{s}{k}))"
            cal += [f"in_{s}{k}", f"in_{s}{k} AND NOT own_{s}{k} AND nw_{s}{k} AS new_{s}{k}",
                    f"in_{s}{k} AND NOT own_{s}{k} AND NOT nw_{s}{k} AS inc_{s}{k}", f"{use} AS use_{s}{k}",
                    f"X_{s}{k}"]
            for i in IND:
                cal.append(f"CASE WHEN {use} THEN {i}_{s}{k} ELSE 0 END AS N_{i}_{s}{k}")
                cal.append(f"CASE WHEN {use} AND own_{s}{k} THEN {i}_{s}{k + 1} ELSE 0 END AS D_{i}_{s}{k}")
                if k == 0:
                    cal.append(f"CASE WHEN in_{s}{k} THEN {i}_{s}{k} ELSE 0 END AS L_{i}_{s}")
    sums = [f"{fcount('in_c0')} AS n_enterprises", f"{fcount('in_m0')} AS n_month_enterprises",
            f"{fcount('new_c0')} AS n_new", f"{fcount('inc_c0')} AS n_incomplete_base",
            f"{fcount('in_c0 AND profit_c0 < -1e-6')} AS n_loss",
            f"coalesce(-{fsum('profit_c0', 'in_c0 AND profit_c0 < -1e-6')}, 0) AS loss_total"]
    for i in IND:
        for s in ss:
            sums.append(f"sum(L_{i}_{s}) AS L_{i}_{s}")
            for k in ks:
                sums += [f"sum(N_{i}_{s}{k}) AS N_{i}_{s}{k}", f"sum(D_{i}_{s}{k}) AS D_{i}_{s}{k}"]
                if i == "value_added":
                    sums += [f"coalesce({fsum(f'N_{i}_{s}{k} / (X_{s}{k} / 100)', f'use_{s}{k}')}, 0) AS C_{i}_{s}{k}",
                             f"{fcount(f'use_{s}{k} AND X_{s}{k} IS NULL')} AS XM_{i}_{s}{k}"]
        eps = f"greatest(greatest(abs(N_{i}_c0), abs(D_{i}_c0)) * 1e-9, 1e-6)"
        sums += [f"{fcount(f'use_c0 AND N_{i}_c0 - D_{i}_c0 > {eps}')} AS {i}__n_growing",
                 f"{fcount(f'use_c0 AND D_{i}_c0 - N_{i}_c0 > {eps}')} AS {i}__n_declining"]

    def g(n: str, d: str) -> str:
        return f"CASE WHEN {d} <> 0 THEN ({n} - {d}) / abs({d}) * 100 END"

    def r(a: str, b: str) -> str:
        return f"CASE WHEN {b} <> 0 THEN {a} / {b} * 100 END"

    out = ["g.group_type", "g.group_id"] + [f"g.{c}" for c in (
        "n_enterprises", "n_month_enterprises", "n_new", "n_incomplete_base", "n_loss", "loss_total")]
    for i in IND:
        def eff(p: str, s: str, k: int, _i: str = i) -> str:
            if _i != "value_added":
                return f"{p}.N_{_i}_{s}{k}"
            flag = f"(t.XM_{_i}_m{k} = 0 AND t.XM_{_i}_c{k} = 0 AND t.D_{_i}_c{k} <> 0)"
            return f"(CASE WHEN {flag} THEN {p}.C_{_i}_{s}{k} ELSE {p}.N_{_i}_{s}{k} END)"
        out += [f"g.L_{i}_m AS {i}__month_value", f"g.L_{i}_c AS {i}__ytd_value",
                f"{r(f'g.L_{i}_c', f't.L_{i}_c')} AS {i}__share_pct",
                f"{r(f'g.L_{i}_m', f't.L_{i}_m')} AS {i}__month_share_pct",
                f"{r(f'g.D_{i}_c0', f'abs(t.D_{i}_c0)')} AS {i}__base_share_pct"]
        for s, pre in (("c", ""), ("m", "month_")):
            n0, d0, tn0, td0 = eff("g", s, 0), f"g.D_{i}_{s}0", eff("t", s, 0), f"t.D_{i}_{s}0"
            g2 = g(n0, d0)
            g1 = g(eff("g", s, 1), f"g.D_{i}_{s}1")
            out += [f"{g2} AS {i}__{'ytd' if s == 'c' else 'month'}_yoy_pct",
                    f"{r(f'({n0} - {d0})', f'({tn0} - {td0})')} AS {i}__{pre}contribution_pct",
                    f"{r(f'({n0} - {d0})', f'abs({td0})')} AS {i}__{pre}pull_pp",
                    f"CASE WHEN (1 + ({g1}) / 100) * (1 + ({g2}) / 100) >= 0 THEN "
                    f"(sqrt((1 + ({g1}) / 100) * (1 + ({g2}) / 100)) - 1) * 100 END AS {i}__{pre}two_year_avg_pct"]
        basis = ("CASE WHEN t.XM_value_added_m0 = 0 AND t.XM_value_added_c0 = 0 AND t.D_value_added_c0 <> 0 "
                 "THEN 'comparable' ELSE 'current' END") if i == "value_added" else "'current'"
        out += [f"g.{i}__n_growing", f"g.{i}__n_declining", f"{basis} AS {i}__basis"]
    size_case = ("CASE WHEN a.employees IS NULL OR a.revenue IS NULL THEN 'unknown' "
                 "WHEN a.employees >= 1000 AND a.revenue * 10000 >= 400000000 THEN 'large' "
                 "WHEN a.employees >= 300 AND a.revenue * 10000 >= 20000000 THEN 'medium' "
                 "WHEN a.employees >= 20 AND a.revenue * 10000 >= 3000000 THEN 'small' ELSE 'micro' END")
    nl = ",\n  "
    head = f"""
WITH mv AS (
  SELECT *, coalesce(total_profit, 0) + coalesce(taxes, 0) AS profit_tax FROM monthly_value
  WHERE year IN ({year}, {year - 1}, {year - 2}) AND month <= {m}),
s1 AS (SELECT uscc, year, month >= {first} AS off, {', '.join(s1)} FROM mv GROUP BY ALL),
p2 AS (SELECT uscc,
  {nl.join(panel)}
  FROM s1 GROUP BY uscc),
panel AS (SELECT * EXCLUDE ({', '.join(stock_cols)}), {', '.join(means)} FROM p2),
d AS (SELECT industry, {', '.join(dx)} FROM deflator WHERE industry <> '*' GROUP BY industry),
x AS (SELECT {', '.join(dx)} FROM deflator WHERE industry = '*'),
base AS (
  SELECT p.*, e.founded,
    s0.uscc IS NOT NULL AS sc0, s1.uscc IS NOT NULL AS sc1,
    {nl.join(flags)}
  FROM panel p JOIN enterprise e USING (uscc)
  LEFT JOIN (SELECT uscc FROM enterprise_scope WHERE year = {year} AND above_size) s0 USING (uscc)
  LEFT JOIN (SELECT uscc FROM enterprise_scope WHERE year = {year - 1} AND above_size) s1 USING (uscc)
  LEFT JOIN d ON d.industry = e.division
  LEFT JOIN x ON TRUE),
cal AS {'MATERIALIZED ' if fair else ''}(SELECT {nl.join(cal)}
  FROM base WHERE in_c0 OR in_m0 OR in_c1 OR in_m1),"""
    chain_members = """UNION ALL SELECT DISTINCT 'segment', segment_id, uscc FROM segment_enterprise
  UNION ALL SELECT DISTINCT 'chain', s.chain_id, se.uscc FROM segment_enterprise se JOIN segment s USING (segment_id)
  UNION ALL SELECT DISTINCT 'cluster', c.cluster_id, se.uscc FROM segment_enterprise se
    JOIN segment s USING (segment_id) JOIN chain c USING (chain_id) WHERE c.cluster_id IS NOT NULL"""
    tail = f"""
t AS (SELECT * FROM gs WHERE group_type = 'total')
SELECT {nl.join(out)}
FROM gs g, t
"""
    if not fair:
        return head + f"""
members AS (
  SELECT 'total' AS group_type, 'total' AS group_id, uscc FROM enterprise
  UNION ALL SELECT 'district', district, uscc FROM enterprise
  UNION ALL SELECT 'industry', division, uscc FROM enterprise
  UNION ALL SELECT 'size', {size_case}, e.uscc FROM enterprise e
    LEFT JOIN enterprise_annual a ON a.uscc = e.uscc AND a.year = {year - 1}
  {chain_members}),
gs AS (SELECT group_type, group_id,
  {nl.join(sums)}
  FROM members JOIN cal USING (uscc) GROUP BY group_type, group_id),""" + tail
    # cell sums are additive: the roll-up sums them again (counts become sums of counts)
    names = [x.rsplit(" AS ", 1)[1] for x in sums]
    roll = []
    for x, name in zip(sums, names, strict=True):
        roll.append(f"coalesce(sum({name}), 0) AS {name}" if x.startswith("coalesce(") else f"sum({name}) AS {name}")
    return head + f"""
keyed AS (
  SELECT c.*, e.district, e.division, {size_case} AS size FROM cal c JOIN enterprise e USING (uscc)
    LEFT JOIN enterprise_annual a ON a.uscc = e.uscc AND a.year = {year - 1}),
cells AS (SELECT district, division, size,
  {nl.join(sums)}
  FROM keyed GROUP BY district, division, size),
rolled AS (SELECT CASE WHEN grouping(district) = 0 THEN 'district' WHEN grouping(division) = 0 THEN 'industry'
    WHEN grouping(size) = 0 THEN 'size' ELSE 'total' END AS group_type,
  CASE WHEN grouping(district) = 0 THEN district WHEN grouping(division) = 0 THEN division
    WHEN grouping(size) = 0 THEN size ELSE 'total' END AS group_id,
  {nl.join(roll)}
  FROM cells GROUP BY GROUPING SETS ((), (district), (division), (size))),
members AS (SELECT 'segment' AS group_type, '' AS group_id, '' AS uscc WHERE false
  {chain_members}),
gs AS (SELECT * FROM rolled UNION ALL SELECT group_type, group_id,
  {nl.join(sums)}
  FROM members JOIN cal USING (uscc) GROUP BY group_type, group_id),""" + tail


# ------------------------------------------------------------------------------------- variants
def run_variant(variant: str, db: str, year: int, month: int, repeat: int, out: str) -> None:
    from chainwatch.analytics.stats import GROUP_TYPES, long_rows, stats_expr
    from chainwatch.store import Store

    store = Store.open(db, read_only=True)
    times, extra = [], {}
    result = None
    if variant == "ibis":
        import ibis

        b = store.ibis()
        compile_s, run_s = [], []
        for _ in range(repeat):
            t0 = time.perf_counter()
            tabs = {n: b.table(n) for n in TABLES}
            sql = ibis.to_sql(stats_expr(tabs, year, month, by=list(GROUP_TYPES)), dialect="duckdb")
            t1 = time.perf_counter()
            result = long_rows(store.con.execute(str(sql)).fetchdf(), list(IND))
            t2 = time.perf_counter()
            times.append(t2 - t0)
            compile_s.append(t1 - t0)
            run_s.append(t2 - t1)
        extra = {"compile_s": statistics.median(compile_s), "run_s": statistics.median(run_s)}
    elif variant in ("fair", "plan"):
        sql = handwritten_sql(year, month, fair=variant == "fair")
        for _ in range(repeat):
            t0 = time.perf_counter()
            result = long_rows(store.con.execute(sql).fetchdf(), list(IND))
            times.append(time.perf_counter() - t0)
    elif variant == "pandas":
        from reference import reference_stats

        t0 = time.perf_counter()
        m = max(month, 2)
        frames = {n: store.df(f"SELECT * FROM {n}") for n in TABLES if n != "monthly_value"}
        frames["monthly_value"] = store.df(
            f"SELECT * FROM monthly_value WHERE year >= {year - 2} AND year <= {year} AND month <= {m}")
        extra["load_s"] = time.perf_counter() - t0
        for _ in range(repeat):
            t0 = time.perf_counter()
            result = reference_stats(frames, year, month, list(ALL_BY))
            times.append(time.perf_counter() - t0)
    store.close()
    assert result is not None
    result.to_pickle(out)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"variant": variant, "times": times, "median_s": statistics.median(times),
                      "peak_rss_mb": peak_mb, **extra}))


def compare(a: pd.DataFrame, b: pd.DataFrame) -> tuple[bool, str]:
    key = ["group_type", "group_id", "indicator"]
    a = a[a.n_enterprises > 0]
    b = b[b.n_enterprises > 0]
    j = a.merge(b, on=key, suffixes=("", "_b"), how="outer", indicator=True)
    if not (j._merge == "both").all():
        return False, f"{int((j._merge != 'both').sum())} rows only on one side"
    worst = 0.0
    for col in a.columns:
        if col in key or col == "growth_source":
            continue
        if col == "basis":
            if not (j[col] == j[col + "_b"]).all():
                return False, "basis differs"
            continue
        x, y = j[col].astype(float).to_numpy(), j[col + "_b"].astype(float).to_numpy()
        if not np.array_equal(np.isnan(x), np.isnan(y)):
            return False, f"{col}: null pattern differs"
        ok = ~np.isnan(x)
        if ok.any():
            rel = np.abs(x[ok] - y[ok]) / np.maximum(1.0, np.abs(y[ok]))
            worst = max(worst, float(rel.max()))
    return worst <= 1.1e-12, f"{len(j)} rows, max relative difference {worst:.1e}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="20,000 enterprises × 36 months")
    ap.add_argument("--enterprises", type=int, default=None)
    ap.add_argument("--months", type=int, default=None)
    ap.add_argument("--period", default=None, help="period to compute (default: the last month of the data)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--db", default=None, help="benchmark database (built if missing)")
    ap.add_argument("--skip-pandas", action="store_true", help="leave out the pandas reference (slow, memory-hungry)")
    ap.add_argument("--run-one", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    n = args.enterprises or (20_000 if args.quick else 200_000)
    months = args.months or (36 if args.quick else 60)
    if args.run_one:
        y, mth = int(args.period[:4]), int(args.period[5:])
        run_variant(args.run_one, args.db, y, mth, args.repeat, args.out)
        return
    db = Path(args.db or Path(tempfile.gettempdir()) / f"chainwatch_stats_bench_{n}x{months}.duckdb")
    if not db.exists():
        build_db(db, n, months)
    from chainwatch.store import Store

    with Store.open(db, read_only=True) as store:
        last = store.scalar("SELECT max(period) FROM monthly_value")
        n_rows = store.scalar("SELECT count(*) FROM monthly_value")
    period = args.period or (f"{last[:4]}-11" if int(last[5:]) >= 11 else last)
    print(f"stats benchmark: {n:,} enterprises × {months} months ({n_rows:,} monthly rows), period {period}, "
          f"all 7 groupings × 8 indicators, median of {args.repeat}", flush=True)
    variants = ["fair", "plan", "ibis"] + ([] if args.skip_pandas else ["pandas"])
    res: dict[str, dict] = {}
    frames: dict[str, pd.DataFrame] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for v in variants:
            out = str(Path(tmp) / f"{v}.pkl")
            rep = 1 if v == "pandas" else args.repeat
            proc = subprocess.run([sys.executable, __file__, "--run-one", v, "--db", str(db), "--period", period,
                                   "--repeat", str(rep), "--out", out], capture_output=True, text=True)
            if proc.returncode != 0:
                print(f"{v} failed:\n{proc.stderr[-3000:]}")
                sys.exit(1)
            res[v] = json.loads(proc.stdout.strip().splitlines()[-1])
            frames[v] = pd.read_pickle(out)
            extra = f", reading tables {res[v]['load_s']:.2f} s" if "load_s" in res[v] else ""
            if "compile_s" in res[v]:
                extra = (f", of which building + compiling the expression {res[v]['compile_s']:.2f} s, "
                         f"running its SQL {res[v]['run_s']:.2f} s")
            print(f"  {LABELS[v]:24s} median {res[v]['median_s']:8.3f} s   peak RSS {res[v]['peak_rss_mb']:8.0f} MB   "
                  f"runs {[round(t, 3) for t in res[v]['times']]}{extra}", flush=True)
    base = res["fair"]["median_s"]
    print(f"ratio ibis / fair hand-written SQL: {res['ibis']['median_s'] / base:.2f}× "
          f"(target ≤ {1.5 if args.quick else 1.2}×); its generated SQL alone: {res['ibis']['run_s'] / base:.2f}×")
    print(f"ratio plan copy / fair hand-written SQL: {res['plan']['median_s'] / base:.2f}×")
    if "pandas" in res:
        print(f"ratio pandas / fair hand-written SQL: {res['pandas']['median_s'] / base:.2f}×")
    for v in variants[1:]:
        ok, detail = compare(frames[v], frames["fair"])
        print(f"results {v} vs fair: {'identical' if ok else 'DIFFERENT'} ({detail})")
        if not ok:
            sys.exit(1)


if __name__ == "__main__":
    main()
