"""Trade summary and segment dependence on a large synthetic trade table vs hand-written DuckDB SQL.

Prints medians of a few repeats and the ratio to a baseline measured in the same run: one SQL query
computing the same group levels and growth (累计 window) directly in DuckDB.

    python bench/trade_bench.py [--quick] [--rows N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from chainwatch.model.codes import make_uscc
from chainwatch.service import Chainwatch
from chainwatch.store.reference import BRI65

PARTNERS = ["JPN", "KOR", "DEU", "USA", "VNM", "SGP", "RUS", "IND", "SAU", "BRA", "FRA", "THA", "MYS", "IDN",
            "AUS", "GBR", "ITA", "TUR", "KAZ", "POL", "HKG", "TWN", "CAN", "MEX", "EGY"]


def build(path: Path, rows: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    n_ent = max(rows // 400, 50)
    usccs = [make_uscc(f"91330200MA{i:07d}") for i in range(n_ent)]
    hs = [f"{c:02d}{rng.integers(1, 99):02d}{rng.integers(10, 99):02d}" for c in rng.integers(25, 96, 400)]
    months = [(y, m) for y in (2020, 2021) for m in range(1, 13)]
    ym = rng.integers(0, len(months), rows)
    frame = pd.DataFrame({
        "uscc": np.array(usccs)[rng.integers(0, n_ent, rows)],
        "partner": np.array(PARTNERS)[rng.integers(0, len(PARTNERS), rows)],
        "hs_code": np.array(hs)[rng.integers(0, len(hs), rows)],
        "year": np.array([months[i][0] for i in ym]), "month": np.array([months[i][1] for i in ym]),
        "flow": np.where(rng.random(rows) < 0.5, "import", "export"), "value": rng.gamma(2.0, 50.0, rows)})
    frame["period"] = frame["year"].astype(str) + "-" + frame["month"].map("{:02d}".format)
    with Chainwatch(str(path), actor="bench") as cw:
        con = cw.store.con
        ents = pd.DataFrame({"uscc": usccs, "name": "bench", "district": "330206", "industry": "3841",
                             "division": "38", "section": "C"})
        con.register("ents", ents)
        con.execute("INSERT INTO enterprise (uscc, name, district, industry, division, section) SELECT * FROM ents")
        con.execute("INSERT INTO chain (chain_id, name_zh) VALUES ('c', 'bench')")
        segs = sorted(set(h[:4] for h in hs))[:80]
        con.executemany("INSERT INTO segment (segment_id, chain_id, name_zh, position) VALUES (?, 'c', ?, 'midstream')",
                        [(f"s{s}", s) for s in segs])
        con.executemany("INSERT INTO segment_product (segment_id, hs_code) VALUES (?, ?)", [(f"s{s}", s) for s in segs])
        con.register("tf", frame)
        con.execute("INSERT INTO trade_flow (uscc, partner, hs_code, period, year, month, flow, value) "
                    "SELECT uscc, partner, hs_code, period, year, month, flow, value FROM tf")


BASELINE_SQL = """
WITH f AS (SELECT partner, flow, year, value FROM trade_flow WHERE uscc IS NOT NULL AND year IN (2020, 2021)
           AND month <= 11),
g AS (SELECT pg.group_id, f.flow, f.year, sum(f.value) v FROM f JOIN partner_group pg ON pg.member = f.partner
      GROUP BY ALL),
t AS (SELECT flow, year, sum(value) v FROM f GROUP BY ALL)
SELECT g.group_id, g.flow, g.v / t.v * 100 AS share, g.v / p.v * 100 - 100 AS yoy
FROM g JOIN t USING (flow, year) JOIN g p ON p.group_id = g.group_id AND p.flow = g.flow AND p.year = 2020
WHERE g.year = 2021
"""


def timed(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="200,000 rows, 3 repeats")
    ap.add_argument("--rows", type=int, default=0)
    args = ap.parse_args()
    rows = args.rows or (200_000 if args.quick else 2_000_000)
    repeats = 3 if args.quick else 5
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.duckdb"
        t0 = time.perf_counter()
        build(path, rows)
        print(f"built {rows:,} trade rows in {time.perf_counter() - t0:.1f} s")
        with Chainwatch(str(path), create=False) as cw:
            base = timed(lambda: cw.store.df(BASELINE_SQL), repeats)
            check = cw.store.df(BASELINE_SQL)
            res = cw.trade.summary("2021-11", by="group")
            rows_ = res.tables["rows"].set_index(["key", "flow"])
            ref = check.set_index(["group_id", "flow"])
            diff = max(abs(rows_.loc[k, "share_pct"] - ref.loc[k, "share"]) for k in ref.index)
            print(f"baseline SQL (group shares and growth, 1 window): {base * 1000:.0f} ms")
            print(f"check: max |share difference| vs baseline = {diff:.2e} pp")
            bri = rows_.loc[("bri", "total"), "share_pct"]
            print(f"BRI share of total trade: {bri:.1f} % ({len(BRI65)}-country default list)")
            for by in ("group", "country", "hs", "segment"):
                t = timed(lambda by=by: cw.trade.summary("2021-11", by=by), repeats)
                print(f"summary --by {by:8s}: {t * 1000:7.0f} ms  ({t / base:5.1f}x baseline; 4 windows x 3 flows)")
            t = timed(lambda: cw.trade.segment_dependence("2021-11"), repeats)
            print(f"segment_dependence  : {t * 1000:7.0f} ms  ({t / base:5.1f}x baseline)")


if __name__ == "__main__":
    main()
