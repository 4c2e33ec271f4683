"""Fixtures of the warning-engine tests: a small synthetic city with planted trouble and its truth.

Independent of the demo generator so the risk tests run (and fail) on their own; the demo-city
evidence test additionally uses the shared ``demo_db`` fixture when it exists.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chainwatch.service import Chainwatch

DISTRICTS = ["330203", "330205", "330206", "330211"]
PERIODS = [f"{y}-{m:02d}" for y in range(2018, 2022) for m in range(1, 13)]


def build_city(path: str | Path, n: int = 400, seed: int = 7, trouble_share: float = 0.06) -> dict[str, object]:
    """Write a small city into a fresh database; return the truth (troubled enterprises and segments)."""
    rng = np.random.default_rng(seed)
    T = len(PERIODS)
    usccs = [f"91330200MA{i:08d}" for i in range(n)]
    chains = ["c_auto", "c_chem", "c_ic"]
    segs = [f"{c}_s{k}" for c in chains for k in range(4)]
    seg_of = rng.choice(len(segs) - 1, n)          # the last segment gets one firm only
    seg_of[0] = len(segs) - 1                       # enterprise 0 is the sole local supplier of c_ic_s3
    seg_of[seg_of == len(segs) - 1] = np.where(np.arange(n)[seg_of == len(segs) - 1] == 0, len(segs) - 1, 0)
    size = 300.0 * np.exp(rng.normal(0, 0.9, n))
    growth = rng.normal(0.06, 0.05, n)
    month = np.array([int(p[5:]) for p in PERIODS])
    season = 1 + 0.12 * np.cos(2 * np.pi * (month - 12) / 12) - np.where(month == 2, 0.25, 0)
    t = np.arange(T)
    level = size[:, None] * (1 + growth[:, None]) ** (t / 12) * season[None, :]
    noise = np.exp(rng.normal(0, 0.06, (n, T)))
    output = level * noise
    revenue = output * np.exp(rng.normal(0, 0.02, (n, T)))
    margin = rng.normal(0.07, 0.02, n)[:, None] + rng.normal(0, 0.01, (n, T))
    elec = output * 0.03 * np.exp(rng.normal(0, 0.03, (n, T)))
    # planted trouble, starting between 2021-02 and 2021-06
    n_tr = int(trouble_share * n)
    cand = np.arange(1, n)
    chosen = rng.choice(cand, n_tr, replace=False)
    chosen = np.concatenate([[0], chosen])          # the sole supplier is in trouble too
    truth = []
    for k, i in enumerate(chosen):
        kind = ("decline", "loss", "power_divergence")[k % 3]
        s = PERIODS.index("2021-02") + int(rng.integers(0, 5))
        act = t >= s
        if kind == "decline":
            f = np.where(act, np.maximum(0.94 ** (t - s + 1), 0.3), 1.0)
            output[i] *= f
            revenue[i] *= f
            elec[i] *= f
        elif kind == "loss":
            margin[i] = np.where(act, -np.abs(rng.normal(0.08, 0.02, T)), margin[i])
        else:
            elec[i] *= np.where(act, np.maximum(0.93 ** (t - s + 1), 0.3), 1.0)
        truth.append((usccs[i], kind, PERIODS[s]))
    profit = revenue * margin
    va = output * 0.25
    monthly = pd.DataFrame({
        "uscc": np.repeat(usccs, T), "period": np.tile(PERIODS, n),
        "year": np.tile([int(p[:4]) for p in PERIODS], n), "month": np.tile(month, n),
        "gross_output": output.ravel(), "value_added": va.ravel(), "revenue": revenue.ravel(),
        "total_profit": profit.ravel(), "taxes": (revenue * 0.03).ravel(),
        "export_value": (output * 0.2).ravel(), "electricity": elec.ravel(),
        "employees": np.repeat(np.round(size / 10), T)})
    cw = Chainwatch(str(path), lang="en", actor="fixture")
    con = cw.store.con
    ent = pd.DataFrame({"uscc": usccs, "name": [f"Firm {i}" for i in range(n)],
                        "district": [DISTRICTS[i % 4] for i in range(n)], "industry": "3670", "division": "36",
                        "section": "C"})
    con.register("_ent", ent)
    con.execute("INSERT INTO enterprise (uscc, name, district, industry, division, section) SELECT * FROM _ent")
    con.register("_mv", monthly)
    con.execute("""INSERT INTO monthly_value (uscc, period, year, month, gross_output, value_added, revenue,
                   total_profit, taxes, export_value, electricity, employees)
                   SELECT uscc, period, year, month, gross_output, value_added, revenue, total_profit, taxes,
                          export_value, electricity, employees FROM _mv""")
    for c in chains:
        con.execute("INSERT INTO chain (chain_id, name_zh, name_en) VALUES (?, ?, ?)", [c, c, c])
    for k, s in enumerate(segs):
        con.execute("INSERT INTO segment (segment_id, chain_id, name_zh, name_en, position) VALUES (?,?,?,?,?)",
                    [s, s.rsplit("_", 1)[0], s, s, "midstream"])
        con.execute("INSERT INTO segment_product VALUES (?, ?, NULL)", [s, f"{8500 + k}"])
    se = pd.DataFrame({"segment_id": [segs[j] for j in seg_of], "uscc": usccs})
    con.register("_se", se)
    con.execute("INSERT INTO segment_enterprise (segment_id, uscc, is_main) SELECT segment_id, uscc, TRUE FROM _se")
    # trade: segment c_chem_s1 (HS 8505) sees imports double from 2021-01; others flat
    rows = []
    for p in PERIODS:
        y, m = int(p[:4]), int(p[5:])
        for k, s in enumerate(segs):
            base = 8000.0 if s == "c_chem_s1" else 400.0
            imp = base * (2.5 if (s == "c_chem_s1" and p >= "2021-01") else 1.0)
            rows.append((None, "330200", "DEU", f"{8500 + k}01", p, y, m, "import", imp))
            rows.append((None, "330200", "USA", f"{8500 + k}01", p, y, m, "export", 100.0))
    tf = pd.DataFrame(rows, columns=["uscc", "region", "partner", "hs_code", "period", "year", "month", "flow",
                                     "value"])
    con.register("_tf", tf)
    con.execute("INSERT INTO trade_flow (uscc, region, partner, hs_code, period, year, month, flow, value) "
                "SELECT * FROM _tf")
    cw.close()
    return {"enterprises": pd.DataFrame(truth, columns=["uscc", "kind", "start_period"]),
            "untroubled": sorted(set(usccs) - {u for u, _, _ in truth}),
            "sole_segment": segs[-1], "import_segment": "c_chem_s1"}


@pytest.fixture(scope="session")
def city(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    path = tmp_path_factory.mktemp("risk") / "city.duckdb"
    truth = build_city(path)
    truth["path"] = str(path)
    return truth


@pytest.fixture()
def city_db(city: dict[str, object], tmp_path: Path) -> str:
    """A fresh copy of the small city for tests that write warnings."""
    import shutil

    dst = tmp_path / "city.duckdb"
    shutil.copy(str(city["path"]), dst)
    return str(dst)
