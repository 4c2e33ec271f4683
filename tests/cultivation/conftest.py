"""Fixtures of the cultivation tests: a small hand-made city with known tier attributes."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from chainwatch.analytics.cultivation.catalog import load_ruleset, load_settings
from chainwatch.analytics.rules.engine import Evaluation, Inputs, evaluate
from chainwatch.model.codes import make_uscc
from chainwatch.store import Store


def uscc(i: int) -> str:
    return make_uscc(f"91330200{i:09d}")


def _evaluate_item(ruleset: str, attribute: str, values: list[Any], settings: dict[str, Any] | None = None,
                  extra: dict[str, list[Any]] | None = None) -> Evaluation:
    """Evaluate a rule set for len(values) entities that differ only in ``attribute``."""
    s = load_settings(settings)
    n = len(values)
    frame = pd.DataFrame({attribute: values}, index=[f"e{i}" for i in range(n)])
    for k, v in (extra or {}).items():
        frame[k] = v
    return evaluate(load_ruleset(ruleset, s), Inputs.from_frame(frame), s, "new")


@pytest.fixture
def evaluate_item():
    """``evaluate_item(ruleset, attribute, values, settings=None, extra=None)`` → Evaluation."""
    return _evaluate_item


STRONG_ATTRS = {
    "field_strategic_emerging": True, "field_key_link_results": True, "field_six_basics": True,
    "field_laozihao": False, "field_serves_chain_leader": False, "field_manufacturing_power": True,
    "field_network_power": False, "field_2026_priority": True, "key_chain_link": True, "info_system": True,
    "quality_award": False, "qms_cert": True, "own_brand": True, "standard_drafting": True,
    "developed_market_cert": False, "special_score": 10, "ip_high_value": 0, "ip_class1_self": 3,
    "ip_class1_applied": 3, "ip_class1_applied_own": 4, "energy_advanced": True,
    "awards": [], "makers_china": [],
}


def annual_rows(u: str, *, last_year: int = 2021, revenue: float = 8000.0, growth: float = 0.10,
                rd_share: float = 0.05, main_share: float = 0.92, debt: float = 0.45, margin: float = 0.08,
                employees: float = 250, rd_staff: float = 0.15, niche_years: float = 8, digital: int = 3,
                share_dom: float = 12.0, share_glob: float = 2.0, rank_dom: int = 2, rank_glob: int = 9,
                zjtx_score: float = 66.0, inst: str = "provincial", compliance: bool = True,
                patents: int = 5, other_ip: int = 6, equity: float = 0.0,
                attrs: dict[str, Any] | None = None, years: int = 4) -> list[dict[str, Any]]:
    """Annual rows (万元) for ``years`` years ending ``last_year``, revenue growing by ``growth`` a year;
    plus a row for ``last_year + 1`` holding only this year's 专精特新 development score."""
    rows = []
    for k in range(years):
        y = last_year - (years - 1 - k)
        rev = revenue / (1 + growth) ** (years - 1 - k)
        rows.append({
            "uscc": u, "year": y, "employees": employees, "rd_personnel": employees * rd_staff, "revenue": rev,
            "main_revenue": rev * main_share, "rd_expense": rev * rd_share, "net_profit": rev * margin,
            "total_assets": 10000.0, "total_liabilities": 10000.0 * debt, "invention_patents": patents,
            "other_ip": other_ip, "equity_financing": equity, "niche_years": niche_years - (years - 1 - k),
            "digital_level": digital, "market_share_domestic": share_dom, "market_share_global": share_glob,
            "market_rank_domestic": rank_dom, "market_rank_global": rank_glob, "zjtx_score": zjtx_score,
            "rd_institution": inst, "compliance_ok": compliance,
            "attrs": json.dumps({**STRONG_ATTRS, **(attrs or {})}),
        })
    rows.append({"uscc": u, "year": last_year + 1, "zjtx_score": zjtx_score})
    return rows


def build_db(path: Path | str, enterprises: list[dict[str, Any]], annual: list[dict[str, Any]],
             titles: list[tuple[str, str, date, date | None]], chains: list[tuple[str, str, str]] | None = None) -> str:
    """Write a small database (enterprise, annual, title, chain/segment membership tables)."""
    store = Store.open(str(path))
    ent = pd.DataFrame(enterprises)
    ent["division"] = ent["industry"].str[:2]
    ent["section"] = "C"
    store.con.register("_e", ent)
    store.execute("INSERT INTO enterprise (uscc, name, district, industry, division, section) "
                  "SELECT uscc, name, district, industry, division, section FROM _e")
    ann = pd.DataFrame(annual)
    cols = [c for c in ann.columns]
    store.con.register("_a", ann)
    store.execute(f"INSERT INTO enterprise_annual ({', '.join(cols)}) SELECT {', '.join(cols)} FROM _a")
    for u, title, vf, vt in titles:
        store.execute("INSERT INTO enterprise_title (uscc, title, valid_from, valid_to) VALUES (?, ?, ?, ?)",
                      [u, title, vf, vt])
    if chains:
        for chain_id, name in {(c, n) for c, n, _ in chains}:
            store.execute("INSERT INTO chain (chain_id, name_zh, name_en) VALUES (?, ?, ?)", [chain_id, name, name])
            store.execute("INSERT INTO segment (segment_id, chain_id, name_zh, position) VALUES (?, ?, ?, 'midstream')",
                          [f"{chain_id}.s1", chain_id, name])
        for chain_id, _n, u in chains:
            store.execute("INSERT INTO segment_enterprise (segment_id, uscc, is_main) VALUES (?, ?, TRUE)",
                          [f"{chain_id}.s1", u])
    store.close()
    return str(path)


@pytest.fixture(scope="session")
def small_city(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Six enterprises with known outcomes under the 2022 rules (assessment date 2022-07-01).

    * ``strong``  – meets 专精特新 (63号) and holds it; candidate for 小巨人.
    * ``near``    – R&D intensity 2.4 % in both years: fails 专精特新 H2 only.
    * ``large``   – 1,200 employees and 5亿元 revenue: not an SME.
    * ``champ``   – global rank 1, 12 years, 5亿元 main revenue: champion pending manual review.
    * ``nodata``  – annual rows without R&D expense: not enough data.
    * ``other``   – in district 330205 (scope tests).
    """
    ids = {k: uscc(i) for i, k in enumerate(["strong", "near", "large", "champ", "nodata", "other"], start=1)}
    ents = [{"uscc": u, "name": f"企业{k}", "district": "330205" if k == "other" else "330203", "industry": "3484"}
            for k, u in ids.items()]
    annual = []
    annual += annual_rows(ids["strong"])
    annual += annual_rows(ids["near"], rd_share=0.024, revenue=5000)
    annual += annual_rows(ids["large"], employees=1200, revenue=50000)
    annual += annual_rows(ids["champ"], revenue=60000, main_share=0.9, rank_glob=1, niche_years=12, employees=900)
    nod = annual_rows(ids["nodata"])
    for r in nod:
        r.pop("rd_expense", None)
    annual += nod
    annual += annual_rows(ids["other"], rd_share=0.031)
    titles = [
        (ids["strong"], "zjtx", date(2020, 12, 20), date(2023, 12, 19)),
        (ids["strong"], "innovative_sme", date(2021, 9, 15), None),
        (ids["champ"], "zjtx", date(2019, 12, 20), date(2022, 12, 19)),
        (ids["champ"], "little_giant", date(2021, 7, 19), date(2024, 7, 18)),
        (ids["other"], "single_champion", date(2020, 12, 10), date(2023, 12, 9)),
        (ids["near"], "high_tech", date(2019, 11, 28), date(2022, 11, 27)),
    ]
    chains = [("nev", "新能源汽车", ids["strong"]), ("nev", "新能源汽车", ids["near"]), ("ic", "集成电路", ids["champ"])]
    path = build_db(tmp_path_factory.mktemp("cult") / "city.duckdb", ents, annual, titles, chains)
    return {"db": path, "ids": ids, "date": date(2022, 7, 1)}


def as_float(values: np.ndarray) -> list[float]:
    return [float(v) for v in values]
