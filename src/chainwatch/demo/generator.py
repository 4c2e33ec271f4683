"""Generate the whole demo city as DataFrames with the columns of the import kinds.

``generate(seed, n_enterprises)`` is pure (no database): the same arguments give identical frames.
:mod:`chainwatch.demo.loader` writes them through the store's import path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from chainwatch.demo.annual import annual_attributes, titles
from chainwatch.demo.catalogue import CHAINS, CLUSTERS, hs_codes_used, segment_id
from chainwatch.demo.links import bri_share, supply_links, trade_flows
from chainwatch.demo.monthly import PERIODS, deflators, monthly_values, plant_trouble, scope_frame
from chainwatch.demo.population import make_population
from chainwatch.store.reference import HS_SECTIONS

GENERATOR_VERSION = "1"
DEFAULT_SEED = 2021
DEFAULT_ENTERPRISES = 5000
# order in which kinds are imported (references first)
KIND_ORDER = ("hs", "enterprise", "scope", "title", "annual", "deflator", "cluster", "chain", "segment",
              "segment_edge", "segment_product", "segment_enterprise", "monthly", "supply_link", "trade_flow")


@dataclass
class DemoData:
    """Everything the generator produced: import frames by kind, ground truth and parameters."""

    seed: int
    n_enterprises: int
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    truth_enterprise: pd.DataFrame = field(default_factory=pd.DataFrame)
    truth_segment: pd.DataFrame = field(default_factory=pd.DataFrame)
    info: dict[str, str] = field(default_factory=dict)

    def rows(self) -> dict[str, int]:
        return {k: len(v) for k, v in self.frames.items()}


def _hs_frame() -> pd.DataFrame:
    chapter_section = {f"{ch:02d}": sec for sec, chapters in HS_SECTIONS.items() for ch in chapters}
    from chainwatch.demo.hs_text import HS_TEXT

    rows = []
    codes = hs_codes_used()
    for h4 in sorted({c[:4] for c in codes}):
        rows.append((h4, 4, chapter_section[h4[:2]], h4[:2], HS_TEXT.get(h4)))
    for h6 in codes:
        rows.append((h6, 6, chapter_section[h6[:2]], h6[:4], HS_TEXT.get(h6)))
    return pd.DataFrame(rows, columns=["code", "level", "section", "parent", "description"])


def _chain_frames() -> dict[str, pd.DataFrame]:
    return {
        "cluster": pd.DataFrame([(k, zh, en) for k, (zh, en) in CLUSTERS.items()],
                                columns=["cluster_id", "name_zh", "name_en"]),
        "chain": pd.DataFrame([(c.chain_id, c.zh, c.en, c.cluster) for c in CHAINS],
                              columns=["chain_id", "name_zh", "name_en", "cluster_id"]),
        "segment": pd.DataFrame([(segment_id(c, s), c.chain_id, s.zh, s.en, s.position)
                                 for c in CHAINS for s in c.segments],
                                columns=["segment_id", "chain_id", "name_zh", "name_en", "position"]),
        "segment_edge": pd.DataFrame([(c.chain_id, f"{c.chain_id}.{a}", f"{c.chain_id}.{b}")
                                      for c in CHAINS for a, b in c.edges],
                                     columns=["chain_id", "from_segment", "to_segment"]),
        "segment_product": pd.DataFrame([(segment_id(c, s), h) for c in CHAINS for s in c.segments for h in s.hs],
                                        columns=["segment_id", "hs_code"]),
    }


def generate(seed: int = DEFAULT_SEED, n_enterprises: int = DEFAULT_ENTERPRISES) -> DemoData:
    """Generate the demo city (deterministic in ``seed`` and ``n_enterprises``)."""
    if n_enterprises < 200:
        from chainwatch.errors import UsageError

        raise UsageError("demo.too_small", n=n_enterprises, minimum=200)
    ss = np.random.SeedSequence([int(seed), 3])
    r_pop, r_trouble, r_month, r_ppi, r_annual, r_title, r_links, r_trade = (
        np.random.default_rng(s) for s in ss.spawn(8))
    population = make_population(r_pop, n_enterprises, seed)
    pop = population.frame
    trouble = plant_trouble(pop, r_trouble)
    monthly = monthly_values(pop, trouble, r_month)
    scope = scope_frame(pop, monthly)
    annual = annual_attributes(pop, monthly, r_annual)
    title = titles(pop, annual, r_title)
    links = supply_links(pop, population.memberships, monthly, r_links)
    trade = trade_flows(pop, monthly, links, r_trade)
    ppi = deflators(pop["industry"].str[:2].unique().tolist(), r_ppi)

    frames: dict[str, pd.DataFrame] = {"hs": _hs_frame()}
    frames["enterprise"] = pop[["uscc", "name", "district", "industry", "founded"]].reset_index(drop=True)
    frames["scope"] = scope
    frames["title"] = title
    frames["annual"] = annual
    frames["deflator"] = ppi
    frames.update(_chain_frames())
    frames["segment_enterprise"] = population.memberships
    frames["monthly"] = monthly
    frames["supply_link"] = links
    frames["trade_flow"] = trade

    truth_e = trouble[["uscc", "kind", "start_period", "detail"]].copy()
    lead = population.leaders.assign(kind="chain_leader", start_period=None,
                                     detail=[json.dumps({"chain_id": c}) for c in population.leaders["chain_id"]])
    closed = pop[pop["end_idx"] < 48]
    closure = pd.DataFrame({"uscc": closed["uscc"], "kind": "closure",
                            "start_period": [PERIODS[i] for i in closed["end_idx"]],
                            "detail": [json.dumps({"last_period": PERIODS[i - 1]}) for i in closed["end_idx"]]})
    truth_e = pd.concat([truth_e, lead[["uscc", "kind", "start_period", "detail"]], closure], ignore_index=True)

    seg_rows = [(s, "missing_link", json.dumps({"local_enterprises": 0})) for s in population.missing]
    # every segment with exactly one local enterprise (the planted ones; at small sizes also accidental ones)
    per_seg = population.memberships.groupby("segment_id").size()
    singles = sorted(set(per_seg[per_seg == 1].index) | set(population.fragile))
    seg_rows += [(s, "single_local_supplier", json.dumps({"local_enterprises": 1, "planted": s in population.fragile}))
                 for s in singles]
    ext = links.assign(foreign=links["supplier_country"] != "CHN")
    fshare = ext.groupby("segment_id").apply(
        lambda g: g.loc[g["foreign"], "annual_value"].sum() / g["annual_value"].sum(), include_groups=False)
    for s, v in fshare.items():
        if v >= 0.5:
            seg_rows.append((s, "import_dependent", json.dumps({"foreign_share": round(float(v), 3)})))
    truth_s = pd.DataFrame(seg_rows, columns=["segment_id", "kind", "detail"])

    info = {
        "synthetic": "true",
        "kind": "demo",
        "label_zh": "合成演示数据（虚构城市，非真实统计）",
        "label_en": "Synthetic demo data (invented city, not official statistics)",
        "generator_version": GENERATOR_VERSION,
        "seed": str(seed),
        "enterprises": str(n_enterprises),
        "first_period": PERIODS[0],
        "last_period": PERIODS[-1],
        "chains": str(len(CHAINS)),
        "segments": str(sum(len(c.segments) for c in CHAINS)),
        "troubled_enterprises": str(trouble["uscc"].nunique()),
        "fragile_segments": ",".join(population.fragile),
        "bri_share": f"{bri_share(trade):.4f}",
        "money_unit": "万元",
    }
    return DemoData(seed, n_enterprises, frames, truth_e, truth_s, info)
