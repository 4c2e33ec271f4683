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
    classify_link,
    concentration,
    coverage,
    import_dependence,
    match_hs,
    segment_local_supply,
    substitution_difficulty,
)
from chainwatch.analytics.chains.leaders import leader_candidates
from chainwatch.analytics.chains.scorecard import segment_scores

LEVELS = ("none", "blue", "yellow", "orange", "red")
#: every weak-link reason code :func:`analyse_chains` can give (documented in docs/chains.md)
REASON_CODES = ("missing", "thin", "dominant", "import_dependent", "origin_concentrated", "critical_dependence",
                "foreign_supplied", "low_local_supply")
#: every note code explaining a null value
NOTE_CODES = ("no_output", "no_consumption", "no_trade_data", "id_fallback", "no_purchases", "no_main_segment")


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
    trade : ``hs_code, partner, flow, value`` — foreign trade of the city over the period, or the same
        already attributed to segments (with ``segment_id`` and ``product``)
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
    if pd.notna(row["foreign_share"]) and row["foreign_share"] > th.import_dependence_high:
        out.append({"code": "foreign_supplied", "pct": round(100 * row["foreign_share"], 1)})
    if pd.notna(row["local_supply"]) and row["local_supply"] < th.local_supply_low:
        out.append({"code": "low_local_supply", "pct": round(100 * row["local_supply"], 1)})
    return out


def _notes(row: dict[str, Any], no_trade: bool = False) -> list[str]:
    notes = []
    if row["n_enterprises"] > 0 and pd.isna(row["cr1"]):
        notes.append("no_output")
    if pd.isna(row["import_dependence"]):
        notes.append("no_trade_data" if no_trade else "no_consumption")
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
    pairs: list[tuple[str, str]] = []
    if len(ln):
        for a, b, loc in zip(ln["supplier_uscc"].tolist(), ln["buyer_uscc"].tolist(), ln["supplier_local"].tolist(),
                             strict=True):
            if loc is True and isinstance(a, str) and a != b:
                pairs.append((a, b))
    pairs = list(dict.fromkeys(pairs))
    nodes = list(dict.fromkeys([*firms, *(a for a, _ in pairs), *(b for _, b in pairs)]))
    e = pd.DataFrame(pairs, columns=["supplier_uscc", "buyer_uscc"])
    return critical_nodes(nodes, e, src_col="supplier_uscc", dst_col="buyer_uscc")


def _split_by_chain(ln: pd.DataFrame, province: str | None) -> pd.DataFrame:
    """Chain-level local supply (risk-methods §1.3) for every chain at once.

    ``ln`` holds the links bought by a chain's own firms of the chain's own products, with a
    ``chain_id`` column. Returns per chain: ``lsr, lsr_count, city, province, china, abroad,
    purchases, n_suppliers``.
    """
    cols = ["lsr", "lsr_count", "city", "province", "china", "abroad", "purchases", "n_suppliers"]
    if not len(ln):
        return pd.DataFrame(columns=cols)
    tier = classify_link(ln, province)
    v = ln["annual_value"].astype(float).fillna(0.0)
    f = pd.DataFrame({"chain_id": ln["chain_id"], "v": v})
    for name in ("city", "province", "china", "abroad"):
        f[name] = np.where(tier == name, v, 0.0)
    out = f.groupby("chain_id").sum()
    pos = out["v"].where(out["v"] > 0)
    for name in ("city", "province", "china", "abroad"):
        out[name] = out[name] / pos
    out["lsr"] = out["city"]
    out["purchases"] = out["v"]
    sup = pd.DataFrame({"chain_id": ln["chain_id"], "k": ln["supplier_key"], "local": tier == "city"})
    sup = sup.drop_duplicates(["chain_id", "k"]).groupby("chain_id")["local"].agg(["mean", "size"])
    out["lsr_count"] = sup["mean"]
    out["n_suppliers"] = sup["size"].astype(float)
    return out[cols]


def analyse_chains(inp: ChainInputs, th: Thresholds = Thresholds(), *,
                   min_leader_share: float = 0.05) -> dict[str, ChainAnalysis]:
    """Compute every structural indicator of every chain in ``inp`` (risk-methods §1.1–1.6, §1.9).

    ``inp.segments`` and ``inp.edges`` may carry a ``chain_id`` column (one chain when absent).
    Segment-level indicators are computed for all chains in one pass; graph work (critical nodes,
    leaders) runs per chain. A firm in several chains counts fully in each chain.

    Returns one :class:`ChainAnalysis` per chain id. Its ``segments`` table has one row per segment:
    ``n_enterprises, output, output_share, cr1, cr3, hhi, hhi_norm, single_source, imports, exports,
    import_dependence, id_fallback, origin_hhi, top_origin, top_origin_share, critical_dependence,
    purchases, local_supply, foreign_share, substitution_difficulty, critical, n_cut, cut,
    structural_n_cut, status (missing|weak|ok), reasons (codes with parameters), notes (reasons for
    nulls), risk_level``.
    """
    segs = inp.segments.reset_index(drop=True).copy()
    if "chain_id" not in segs:
        segs["chain_id"] = "_"
    if "weight" not in segs:
        segs["weight"] = np.nan
    seg_chain = dict(zip(segs["segment_id"], segs["chain_id"], strict=True))
    seg_ids = segs["segment_id"].tolist()
    members = inp.members[inp.members["segment_id"].isin(seg_ids)].copy()
    members["chain_id"] = members["segment_id"].map(seg_chain)
    assigned = assign_output(members, inp.output)
    conc = concentration(assigned, seg_ids)
    flags = assigned[assigned["assign_flag"] != ""].groupby("segment_id")["assign_flag"].first()
    seg = segs.merge(conc, on="segment_id", how="left")
    seg["assign_flag"] = seg["segment_id"].map(flags).fillna("")
    firm_chain = members[["chain_id", "uscc"]].drop_duplicates()
    out_by_firm = inp.output.groupby("uscc")["output"].sum() if len(inp.output) else pd.Series(dtype=float)
    firm_chain = firm_chain.assign(output=firm_chain["uscc"].map(out_by_firm).astype(float).fillna(0.0))
    chain_output = firm_chain.groupby("chain_id")["output"].sum()
    co = seg["chain_id"].map(chain_output).astype(float)
    seg["output_share"] = seg["output"] / co.where(co > 0)

    idseg, prod = import_dependence(inp.products[inp.products["segment_id"].isin(seg_ids)], inp.trade,
                                    seg.set_index("segment_id")["output"], th)
    seg = seg.merge(idseg, on="segment_id", how="left")
    no_trade = not len(inp.trade)
    if no_trade:  # no trade data at all: dependence unknown, not zero
        seg["import_dependence"] = np.nan

    ln = resolve_links(inp.links, inp.products, seg_ids)
    in_chain = ln[ln["segment_id"].notna()].copy() if len(ln) else ln.assign(chain_id=pd.Series(dtype=object))
    in_chain["chain_id"] = in_chain["segment_id"].map(seg_chain)
    seg = seg.merge(segment_local_supply(in_chain, seg_ids, inp.province), on="segment_id", how="left")
    seg["substitution_difficulty"] = substitution_difficulty(
        seg["n_enterprises"], seg["n_domestic_alt"], seg["n_foreign_alt"], th)
    # the chain's own firms buying the chain's own products
    own = in_chain.merge(firm_chain[["chain_id", "uscc"]].rename(columns={"uscc": "buyer_uscc"}),
                         on=["chain_id", "buyer_uscc"]) if len(in_chain) else in_chain
    splits = _split_by_chain(own, inp.province)

    edges = inp.edges.copy()
    if "chain_id" not in edges:
        edges["chain_id"] = edges["from_segment"].map(seg_chain)
    n_cut: dict[str, int] = {}
    cut: dict[str, list[str]] = {}
    structural: dict[str, int] = {}
    present_all = set(seg.loc[seg["n_enterprises"] > 0, "segment_id"])
    edges_by = dict(tuple(edges.groupby("chain_id"))) if len(edges) else {}
    chain_ids = list(dict.fromkeys(segs["chain_id"]))
    seg_by = {c: g for c, g in segs.groupby("chain_id", sort=False)}
    for c in chain_ids:
        ids = seg_by[c]["segment_id"].tolist()
        e = edges_by.get(c, pd.DataFrame(columns=["from_segment", "to_segment"]))
        crit = critical_nodes(ids, e, [x for x in ids if x in present_all], src_col="from_segment",
                              dst_col="to_segment")
        n_cut.update(zip(crit["node"], crit["n_cut"], strict=True))
        cut.update(zip(crit["node"], crit["cut"], strict=True))
        st = critical_nodes(ids, e, None, src_col="from_segment", dst_col="to_segment")
        structural.update(zip(st["node"], st["n_cut"], strict=True))
    seg["n_cut"] = seg["segment_id"].map(n_cut).fillna(0).astype(int)
    seg["cut"] = [cut.get(x, []) for x in seg["segment_id"]]
    seg["critical"] = seg["n_cut"] > 0
    seg["structural_n_cut"] = seg["segment_id"].map(structural).fillna(0).astype(int)

    records = seg.to_dict("records")
    seg["reasons"] = [_reasons(r, th) for r in records]
    seg["status"] = np.where(seg["n_enterprises"] == 0, "missing",
                             np.where(seg["reasons"].map(len) > 0, "weak", "ok"))
    seg["notes"] = [_notes(r, no_trade) for r in records]
    seg["risk_level"] = [risk_level(s, len(r), c, bool(d)) for s, r, c, d in
                         zip(seg["status"], seg["reasons"], seg["critical"], seg["critical_dependence"], strict=True)]
    sc = segment_scores(seg)
    seg["structural_score"] = sc["structural_score"].to_numpy()
    seg["score_breakdown"] = sc["breakdown"].to_numpy()

    mg = members.drop_duplicates(["segment_id", "uscc"]).groupby("segment_id")["uscc"]
    n_members, first_member = mg.size().to_dict(), mg.first().to_dict()
    local_links = own[own["supplier_local"].fillna(False).astype(bool)] if len(own) else own
    ll_by = dict(tuple(local_links.groupby("chain_id"))) if len(local_links) else {}
    firms_by = {c: g for c, g in firm_chain.groupby("chain_id")}
    seg_rows_by = {c: g for c, g in seg.groupby("chain_id", sort=False)}
    prod_chain = prod["segment_id"].map(seg_chain)
    result: dict[str, ChainAnalysis] = {}
    empty_links = own.iloc[0:0]
    for c in chain_ids:
        sc = seg_rows_by[c].reset_index(drop=True)
        fc = firms_by.get(c, firm_chain.iloc[0:0])
        chain_firms = sorted(fc["uscc"].tolist())
        # critical enterprises: sole producers of critical segments, and firm-level dominators
        rows: dict[str, dict[str, Any]] = {}
        for r in sc[sc["critical"]].to_dict("records"):
            if n_members.get(r["segment_id"], 0) == 1:
                u = first_member[r["segment_id"]]
                d = rows.setdefault(u, {"uscc": u, "sole_producer_of": [], "segments_cut": [], "firms_cut": []})
                d["sole_producer_of"].append(r["segment_id"])
                d["segments_cut"].extend([r["segment_id"], *r["cut"]])
        fcrit = _firm_critical(ll_by.get(c, empty_links), chain_firms)
        for r in fcrit[fcrit["n_cut"] > 0].to_dict("records"):
            d = rows.setdefault(r["node"], {"uscc": r["node"], "sole_producer_of": [], "segments_cut": [],
                                            "firms_cut": []})
            d["firms_cut"] = list(r["cut"])
        ce = pd.DataFrame(list(rows.values()), columns=["uscc", "sole_producer_of", "segments_cut", "firms_cut"])
        ce["segments_cut"] = ce["segments_cut"].apply(lambda v: list(dict.fromkeys(v)))
        ce["n_segments_cut"] = ce["segments_cut"].map(len)
        ce["n_firms_cut"] = ce["firms_cut"].map(len)
        ce = ce.sort_values(["n_segments_cut", "n_firms_cut", "uscc"],
                            ascending=[False, False, True]).reset_index(drop=True)
        cs = sc.loc[sc["critical"], ["segment_id", "name_zh", "name_en", "position", "n_cut", "cut",
                                     "n_enterprises", "status"]]
        cs = cs.sort_values(["n_cut", "segment_id"], ascending=[False, True]).reset_index(drop=True)
        leaders = leader_candidates(fc[["uscc", "output"]], ll_by.get(c, empty_links), min_share=min_leader_share)
        split = splits.loc[c].to_dict() if c in splits.index else {
            "lsr": np.nan, "lsr_count": np.nan, "city": np.nan, "province": np.nan, "china": np.nan,
            "abroad": np.nan, "purchases": 0.0, "n_suppliers": 0.0}
        cov = coverage(sc)
        imports = float(sc["imports"].sum())
        cons = float((sc["output"] + sc["imports"] - sc["exports"]).sum())
        summary: dict[str, Any] = {
            "n_segments": len(sc), "n_present": int((sc["n_enterprises"] > 0).sum()),
            "n_missing": int((sc["status"] == "missing").sum()), "n_weak": int((sc["status"] == "weak").sum()),
            "n_enterprises": len(chain_firms), "output": float(chain_output.get(c, 0.0)), **cov,
            "local_supply_rate": split["lsr"], "local_supply_rate_count": split["lsr_count"],
            "import_dependence": imports / cons if cons > 0 and not no_trade else np.nan,
            "n_critical_segments": int(sc["critical"].sum()), "n_critical_enterprises": len(ce),
            "top_leader": leaders.loc[0, "uscc"] if len(leaders) and bool(leaders.loc[0, "eligible"]) else None,
        }
        result[c] = ChainAnalysis(summary=summary, segments=sc, products=prod[prod_chain == c].reset_index(drop=True),
                                  critical_segments=cs, critical_enterprises=ce, leaders=leaders, supply_split=split)
    return result


def analyse_chain(inp: ChainInputs, th: Thresholds = Thresholds(), *, min_leader_share: float = 0.05) -> ChainAnalysis:
    """:func:`analyse_chains` for one chain (``inp`` holds the segments of a single chain)."""
    segs = inp.segments.assign(chain_id="_")
    edges = inp.edges.assign(chain_id="_")
    one = ChainInputs(segments=segs, edges=edges, products=inp.products, members=inp.members, output=inp.output,
                      links=inp.links, trade=inp.trade, province=inp.province)
    return analyse_chains(one, th, min_leader_share=min_leader_share)["_"]
