"""Fixtures for the statistics tests: a seeded random city written straight into a throw-away store."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))

TABLES = ("enterprise", "enterprise_scope", "monthly_value", "deflator", "cluster", "chain", "segment",
          "segment_enterprise", "enterprise_annual")


def make_city(seed: int = 7, n: int = 160, years: tuple[int, ...] = (2019, 2020, 2021)) -> dict[str, pd.DataFrame]:
    """A small random city exercising every rule: entries, exits, new establishments, incomplete bases,
    missing values, losses, overlapping chains, a chain without cluster, partial deflators, unknown sizes."""
    rng = np.random.default_rng(seed)
    districts = ["330203", "330205", "330206", "330211"]
    divisions = ["26", "36", "38", "39", "44"]
    usccs = [f"E{i:05d}" for i in range(n)]
    founded = []
    for _ in range(n):
        r = rng.random()
        if r < 0.08:  # founded inside the data window (new establishments)
            founded.append(dt.date(int(rng.choice(years[1:])), int(rng.integers(1, 13)), 1))
        elif r < 0.12:
            founded.append(None)
        else:
            founded.append(dt.date(int(rng.integers(1990, 2018)), 1, 1))
    ent = pd.DataFrame({
        "uscc": usccs, "name": [f"企业{i}" for i in range(n)],
        "district": rng.choice(districts, n), "division": rng.choice(divisions, n), "founded": founded,
    })
    ent["industry"] = ent.division + "11"
    ent["section"] = np.where(ent.division == "44", "D", "C")
    scope_rows, month_rows, annual_rows = [], [], []
    for i, u in enumerate(usccs):
        f = founded[i]
        size = float(rng.lognormal(6, 1.2))
        trend = float(rng.normal(0.05, 0.15))
        for y in years:
            operating = f is None or f <= dt.date(y, 12, 31)
            if rng.random() < 0.85:
                scope_rows.append({"uscc": u, "year": y, "above_size": bool(rng.random() < 0.85 and operating)})
            if not operating:
                continue
            if rng.random() < 0.06:  # a missing year of returns (incomplete base next year)
                continue
            if rng.random() < 0.9:
                annual_rows.append({"uscc": u, "year": y, "employees": float(rng.integers(5, 2500)),
                                    "revenue": float(size * 12 * rng.uniform(0.5, 1.5))})
            for m in range(1, 13):
                if f is not None and dt.date(y, m, 28) < f:
                    continue
                if rng.random() < 0.04:  # a month not reported
                    continue
                g = size * (1 + trend) ** (y - years[0]) * rng.uniform(0.8, 1.2)
                row = {
                    "uscc": u, "period": f"{y:04d}-{m:02d}", "year": y, "month": m,
                    "gross_output": g, "value_added": g * 0.25, "revenue": g * 0.95,
                    "total_profit": g * rng.normal(0.05, 0.08), "taxes": g * 0.03,
                    "export_value": g * 0.2 if i % 3 == 0 else None, "electricity": g * 0.01,
                    "employees": float(rng.integers(5, 2500)),
                }
                if rng.random() < 0.03:
                    row["value_added"] = None
                month_rows.append(row)
    clusters = pd.DataFrame({"cluster_id": ["K1", "K2"], "name_zh": ["集群一", "集群二"], "name_en": ["C1", "C2"]})
    chains = pd.DataFrame({"chain_id": ["CH1", "CH2", "CH3"], "name_zh": ["链一", "链二", "链三"],
                           "name_en": ["Chain 1", "Chain 2", "Chain 3"], "cluster_id": ["K1", "K1", None]})
    segs = pd.DataFrame({"segment_id": ["S1", "S2", "S3", "S4", "S5"], "chain_id": ["CH1", "CH1", "CH2", "CH3", "CH3"],
                         "name_zh": ["环节1", "环节2", "环节3", "环节4", "环节5"], "name_en": ["s1", "s2", "s3", "s4", "s5"],
                         "position": ["upstream", "downstream", "midstream", "upstream", "downstream"]})
    se = []
    for u in usccs:
        for s in segs.segment_id:
            if rng.random() < 0.15:
                se.append({"segment_id": s, "uscc": u, "is_main": False})
    defl = []
    for y in years:
        for m in range(2, 13):
            for ind in ["*", "38", "26"]:
                for span in ("month", "cumulative"):
                    if ind == "26" and span == "month" and m == 11:
                        continue
                    defl.append({"industry": ind, "period": f"{y:04d}-{m:02d}", "span": span,
                                 "index_value": float(rng.uniform(95, 108))})
    return {
        "enterprise": ent, "enterprise_scope": pd.DataFrame(scope_rows), "monthly_value": pd.DataFrame(month_rows),
        "deflator": pd.DataFrame(defl), "cluster": clusters, "chain": chains, "segment": segs,
        "segment_enterprise": pd.DataFrame(se), "enterprise_annual": pd.DataFrame(annual_rows),
    }


def load_frames(store, frames: dict[str, pd.DataFrame], replace: bool = True) -> None:
    """Write DataFrames into the store's tables by column name (bypassing import validation on purpose)."""
    con = store.con
    for name in TABLES:
        if replace:
            con.execute(f"DELETE FROM {name}")
        df = frames.get(name)
        if df is None or df.empty:
            continue
        con.register("_frame", df)
        try:
            con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM _frame")
        finally:
            con.unregister("_frame")


@pytest.fixture(scope="session")
def city_frames() -> dict[str, pd.DataFrame]:
    return make_city()


@pytest.fixture(scope="session")
def city_cw(city_frames, tmp_path_factory):
    from chainwatch.service import Chainwatch

    cw = Chainwatch(":memory:", lang="zh")
    load_frames(cw.store, city_frames)
    yield cw
    cw.close()


@pytest.fixture()
def cw():
    from chainwatch.service import Chainwatch

    c = Chainwatch(":memory:", lang="zh")
    yield c
    c.close()
