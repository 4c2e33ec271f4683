"""One chain, all indicators: segment table, weak-link reasons, critical nodes, leaders.

:func:`analyse_chain` combines the pure indicator functions for one chain. Reasons and
explanations are returned as codes with parameters (``{"code": ..., **params}``); the service
renders them in Chinese or English through the message catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from chainwatch.analytics.chains.graph import critical_nodes
from chainwatch.analytics.chains.indicators import (
    Thresholds,
    assign_output,
    concentration,
    coverage,
    import_dependence,
    local_supply_rate,
    match_hs,
    segment_local_supply,
    substitution_difficulty,
)
from chainwatch.analytics.chains.leaders import leader_candidates

LEVELS = ("none", "blue", "yellow", "orange", "red")


def _frame(cols: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})


@dataclass
class ChainInputs:
    """Everything :func:`analyse_chain` needs about one chain (all DataFrames may be empty).

    segments : ``segment_id, name_zh, name_en, position`` (+ optional ``weight``)
    edges : ``from_segment, to_segment``
    products : ``segment_id, hs_code``
    members : ``segment_id, uscc, is_main`` (+ ``name`` for explanations)
    output : ``uscc, output`` — each firm's output over the period (万元)
    links : supply links bought by local firms: ``supplier_uscc, supplier_name, supplier_country,
        supplier_region, buyer_uscc, hs_code, segment_id, annual_value, supplier_local``
    trade : ``hs_code, partner, flow, value`` — foreign trade of the city over the period
    province : 2-digit province prefix of the city (splits domestic purchases)
    """

    segments: pd.DataFrame
    edges: pd.DataFrame = field(default_factory=lambda: _frame(["from_segment", "to_segment"]))
    products: pd.DataFrame = field(default_factory=lambda: _frame(["segment_id", "hs_code"]))
    members: pd.DataFrame = field(default_factory=lambda: _frame(["segment_id", "uscc", "is_main"]))
    output: pd.DataFrame = field(default_factory=lambda: _frame(["uscc", "output"]))
    links: pd.DataFrame = field(default_factory=lambda: _frame(
        ["supplier_uscc", "supplier_name", "supplier_country", "supplier_region", "buyer_uscc", "hs_code",
         "segment_id", "annual_value", "supplier_local"]))
    trade: pd.DataFrame = field(default_factory=lambda: _frame(["hs_code", "partner", "flow", "value"]))
    province: str | None = None


@dataclass
class ChainAnalysis:
    """Result of :func:`analyse_chain`."""

    summary: dict[str, Any]
    segments: pd.DataFrame
    products: pd.DataFrame
    critical_segments: pd.DataFrame
    critical_enterprises: pd.DataFrame
    leaders: pd.DataFrame
    supply_split: dict[str, float]


def resolve_links(links: pd.DataFrame, products: pd.DataFrame, segment_ids: list[str]) -> pd.DataFrame:
    """Give each link the chain segment of its product (its own ``segment_id`` or by HS prefix)
    and a ``supplier_key``; links of products outside the chain get ``segment_id`` NaN."""
    ln = links.copy()
    if not len(ln):
        ln["supplier_key"] = pd.Series(dtype=object)
        return ln
    seg = ln["segment_id"].where(ln["segment_id"].isin(segment_ids))
    todo = seg.isna() & ln["hs_code"].notna()
    if todo.any() and len(products):
        mp = match_hs(ln.loc[todo, "hs_code"], products).drop_duplicates("hs")
        seg.loc[todo] = ln.loc[todo, "hs_code"].map(mp.set_index("hs")["segment_id"])
    ln["segment_id"] = seg
    key = ln["supplier_uscc"].astype(object)
    ext = ln["supplier_name"].fillna("?").astype(str) + "|" + ln["supplier_country"].fillna("CHN").astype(str)
    ln["supplier_key"] = key.where(key.notna(), ext)
    return ln


def _reasons(row: dict[str, Any], th: Thresholds) -> list[dict[str, Any]]:
    n = int(row["n_enterprises"])
    if n == 0:
        return [{"code": "missing"}]
    out: list[dict[str, Any]] = []
    if n <= th.thin_max_firms:
        out.append({"code": "thin", "n": n})
    if n > 1 and pd.notna(row["cr1"]) and row["cr1"] > th.cr1_dominant:
        out.append({"code": "dominant", "cr1_pct": round(100 * row["cr1"], 1), "uscc": row["top_uscc"]})
    if pd.notna(row["import_dependence"]) and row["import_dependence"] > th.import_dependence_high:
        out.append({"code": "import_dependent", "id_pct": round(100 * row["import_dependence"], 1)})
    if row["imports"] > 0 and pd.notna(row["origin_hhi"]) and row["origin_hhi"] > th.origin_hhi_high:
        out.append({"code": "origin_concentrated", "hhi": round(float(row["origin_hhi"]), 2),
                    "country": row["top_origin"], "share_pct": round(100 * float(row["top_origin_share"]), 1)})
    if row["critical_dependence"]:
        out.append({"code": "critical_dependence"})
    if pd.notna(row["local_supply"]) and row["local_supply"] < th.local_supply_low:
        out.append({"code": "low_local_supply", "pct": round(100 * row["local_supply"], 1)})
    return out


def _notes(row: dict[str, Any]) -> list[str]:
    notes = []
    if row["n_enterprises"] > 0 and pd.isna(row["cr1"]):
        notes.append("no_output")
    if pd.isna(row["import_dependence"]):
        notes.append("no_trade_data" if row["_no_trade"] else "no_consumption")
    elif row["id_fallback"]:
        notes.append("id_fallback")
    if pd.isna(row["local_supply"]):
        notes.append("no_purchases")
    if row.get("assign_flag"):
        notes.append("no_main_segment")
    return notes


def risk_level(status: str, n_reasons: int, critical: bool, critical_dependence: bool) -> str:
    """Structural risk level of a segment, for maps and graphs.

    red: missing link or a critical import dependence; orange: weak for two or more reasons, or
    weak and critical; yellow: weak; blue: a critical node with no weakness; none otherwise.
    """
    if status == "missing" or critical_dependence:
        return "red"
    if status == "weak" and (n_reasons >= 2 or critical):
        return "orange"
    if status == "weak":
        return "yellow"
    if critical:
        return "blue"
    return "none"


def _firm_critical(ln: pd.DataFrame, firms: list[str]) -> pd.DataFrame:
    """Dominators of the local goods flow among chain firms and their local suppliers."""
    local = ln[ln["supplier_local"].fillna(False).astype(bool) & ln["supplier_uscc"].notna()
               & (ln["supplier_uscc"] != ln["buyer_uscc"])] if len(ln) else ln
    nodes = list(dict.fromkeys(list(firms) + list(local["supplier_uscc"]) + list(local["buyer_uscc"]))) \
        if len(local) else list(firms)
    e = local[["supplier_uscc", "buyer_uscc"]].drop_duplicates() if len(local) else \
        pd.DataFrame(columns=["supplier_uscc", "buyer_uscc"])
    return critical_nodes(nodes, e, src_col="supplier_uscc", dst_col="buyer_uscc")


def analyse_chain(inp: ChainInputs, th: Thresholds = Thresholds(), *, min_leader_share: float = 0.05) -> ChainAnalysis:
    """Compute every structural indicator of one chain (risk-methods §1.1–1.6, §1.9).

    Returns a :class:`ChainAnalysis` whose ``segments`` table has one row per segment with:
    ``n_enterprises, output, output_share, cr1, cr3, hhi, hhi_norm, single_source, imports, exports,
    import_dependence, id_fallback, origin_hhi, top_origin, top_origin_share, critical_dependence,
    purchases, local_supply, substitution_difficulty, critical, n_cut, cut, status (missing|weak|ok),
    reasons (list of codes with parameters), notes (reasons for nulls), risk_level``.
    """
    segs = inp.segments.reset_index(drop=True).copy()
    seg_ids = segs["segment_id"].tolist()
    members = inp.members[inp.members["segment_id"].isin(seg_ids)]
    assigned = assign_output(members, inp.output)
    conc = concentration(assigned, seg_ids)
    flags = assigned[assigned["assign_flag"] != ""].groupby("segment_id")["assign_flag"].first()
    seg = segs.merge(conc, on="segment_id", how="left")
    seg["assign_flag"] = seg["segment_id"].map(flags).fillna("")
    chain_firms = sorted(members["uscc"].unique().tolist())
    firm_out = inp.output[inp.output["uscc"].isin(chain_firms)].groupby("uscc")["output"].sum()
    chain_output = float(firm_out.sum())
    seg["output_share"] = seg["output"] / chain_output if chain_output > 0 else np.nan

    idseg, prod = import_dependence(inp.products, inp.trade, seg.set_index("segment_id")["output"], th)
    seg = seg.merge(idseg, on="segment_id", how="left")
    if not len(inp.trade):  # no trade data at all: dependence unknown, not zero
        seg["import_dependence"] = np.nan

    ln = resolve_links(inp.links, inp.products, seg_ids)
    in_chain = ln[ln["segment_id"].notna()] if len(ln) else ln
    sls = segment_local_supply(in_chain, seg_ids, inp.province)
    seg = seg.merge(sls, on="segment_id", how="left")
    seg["substitution_difficulty"] = substitution_difficulty(
        seg["n_enterprises"], seg["n_domestic_alt"], seg["n_foreign_alt"], th)

    present = seg.loc[seg["n_enterprises"] > 0, "segment_id"].tolist()
    edges = inp.edges[["from_segment", "to_segment"]]
    crit = critical_nodes(seg_ids, edges, present, src_col="from_segment", dst_col="to_segment")
    structural = critical_nodes(seg_ids, edges, None, src_col="from_segment", dst_col="to_segment")
    seg["n_cut"] = seg["segment_id"].map(crit.set_index("node")["n_cut"]).fillna(0).astype(int)
    seg["cut"] = seg["segment_id"].map(crit.set_index("node")["cut"]).apply(lambda v: v if isinstance(v, list) else [])
    seg["critical"] = seg["n_cut"] > 0
    seg["structural_n_cut"] = seg["segment_id"].map(structural.set_index("node")["n_cut"]).astype(int)

    records = seg.to_dict("records")
    seg["reasons"] = [_reasons(r, th) for r in records]
    seg["status"] = np.where(seg["n_enterprises"] == 0, "missing",
                             np.where(seg["reasons"].map(len) > 0, "weak", "ok"))
    seg["_no_trade"] = not len(inp.trade)
    seg["notes"] = [_notes(r) for r in seg.to_dict("records")]
    seg = seg.drop(columns=["_no_trade"])
    seg["risk_level"] = [risk_level(s, len(r), c, bool(d)) for s, r, c, d in
                         zip(seg["status"], seg["reasons"], seg["critical"], seg["critical_dependence"], strict=True)]

    # critical enterprises: sole producers of critical segments, and firm-level dominators
    name = dict(zip(seg["segment_id"], seg["name_zh"], strict=True))
    rows: dict[str, dict[str, Any]] = {}
    mg = members.drop_duplicates(["segment_id", "uscc"]).groupby("segment_id")["uscc"]
    n_members, first_member = mg.size(), mg.first()
    for r in seg[seg["critical"]].to_dict("records"):
        if n_members.get(r["segment_id"], 0) == 1:
            u = first_member[r["segment_id"]]
            d = rows.setdefault(u, {"uscc": u, "sole_producer_of": [], "segments_cut": [], "firms_cut": []})
            d["sole_producer_of"].append(r["segment_id"])
            d["segments_cut"].extend([r["segment_id"], *r["cut"]])
    firm_graph = in_chain[in_chain["buyer_uscc"].isin(chain_firms)] if len(in_chain) else in_chain
    fcrit = _firm_critical(firm_graph, chain_firms)
    for r in fcrit[fcrit["n_cut"] > 0].to_dict("records"):
        d = rows.setdefault(r["node"], {"uscc": r["node"], "sole_producer_of": [], "segments_cut": [],
                                        "firms_cut": []})
        d["firms_cut"] = list(r["cut"])
    ce = pd.DataFrame(list(rows.values()), columns=["uscc", "sole_producer_of", "segments_cut", "firms_cut"])
    ce["segments_cut"] = ce["segments_cut"].apply(lambda v: list(dict.fromkeys(v)))
    ce["n_segments_cut"] = ce["segments_cut"].map(len)
    ce["n_firms_cut"] = ce["firms_cut"].map(len)
    ce = ce.sort_values(["n_segments_cut", "n_firms_cut", "uscc"], ascending=[False, False, True]).reset_index(drop=True)

    cs = seg.loc[seg["critical"], ["segment_id", "name_zh", "name_en", "position", "n_cut", "cut",
                                   "n_enterprises", "status"]].copy()
    cs["cut_names"] = cs["cut"].apply(lambda c: [name[x] for x in c])
    cs = cs.sort_values(["n_cut", "segment_id"], ascending=[False, True]).reset_index(drop=True)

    chain_links = in_chain[in_chain["buyer_uscc"].isin(chain_firms)] if len(in_chain) else in_chain
    split = local_supply_rate(chain_links, inp.province)
    leaders = leader_candidates(pd.DataFrame({"uscc": chain_firms}).merge(
        firm_out.rename("output").reset_index(), on="uscc", how="left").fillna({"output": 0.0}),
        chain_links[chain_links["supplier_local"].fillna(False).astype(bool)] if len(chain_links) else chain_links,
        min_share=min_leader_share)

    cov = coverage(seg)
    imports = float(seg["imports"].sum())
    cons = float((seg["output"] + seg["imports"] - seg["exports"]).sum())
    summary: dict[str, Any] = {
        "n_segments": len(seg), "n_present": len(present),
        "n_missing": int((seg["status"] == "missing").sum()), "n_weak": int((seg["status"] == "weak").sum()),
        "n_enterprises": len(chain_firms), "output": chain_output, **cov,
        "local_supply_rate": split["lsr"], "local_supply_rate_count": split["lsr_count"],
        "import_dependence": imports / cons if cons > 0 and len(inp.trade) else np.nan,
        "n_critical_segments": int(seg["critical"].sum()), "n_critical_enterprises": len(ce),
        "top_leader": leaders.loc[0, "uscc"] if len(leaders) and bool(leaders.loc[0, "eligible"]) else None,
    }
    return ChainAnalysis(summary=summary, segments=seg, products=prod, critical_segments=cs,
                         critical_enterprises=ce, leaders=leaders, supply_split=split)
