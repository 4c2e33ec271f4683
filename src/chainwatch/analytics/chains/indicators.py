"""Segment and chain indicators (risk-methods §1.1–1.6).

All functions are pure: DataFrames in, DataFrames out. Conventions (risk-methods §1):

* a segment is aggregated as a *ratio of sums* over its products and firms;
* an undefined value (zero denominator) is ``NaN`` (null in JSON) and its reason is listed in the
  row's ``notes``, never replaced by 0;
* every indicator has a risk direction, listed in :data:`DIRECTION`.

Fractions are computed as 0–1 values here; the service turns them into ``_pct`` columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: risk direction of each indicator: +1 risk rises with the value, -1 risk falls with it
DIRECTION: dict[str, int] = {
    "n_enterprises": -1, "cr1": +1, "cr3": +1, "hhi": +1, "hhi_norm": +1,
    "import_dependence": +1, "origin_hhi": +1, "local_supply": -1, "substitution_difficulty": +1,
    "coverage": -1, "local_supply_rate": -1,
}


@dataclass(frozen=True)
class Thresholds:
    """Cut-offs of the weak-link list (risk-methods §1.2, §1.4, §1.6); all configurable."""

    thin_max_firms: int = 2            # 薄弱: 1 <= n_s <= 2
    cr1_dominant: float = 0.8          # 薄弱: CR1 > 0.8
    import_dependence_high: float = 0.5
    origin_hhi_high: float = 0.25      # 2010 US merger-guideline "highly concentrated" band
    local_supply_low: float = 0.3      # local buyers source < 30 % of the product locally
    critical_hhi: float = 0.4          # EC SWD(2021) 352 critical-dependence flag
    critical_id: float = 0.5
    critical_m_over_e: float = 1.0
    lambda_domestic: float = 0.5       # substitution difficulty weights (§1.6)
    lambda_foreign: float = 0.25


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    num = num.astype(float)
    den = den.astype(float)
    return (num / den.where(den != 0)).astype(float)


def assign_output(members: pd.DataFrame, output: pd.DataFrame) -> pd.DataFrame:
    """Assign each firm's output to one segment of the chain (risk-methods §1.5).

    Parameters
    ----------
    members : ``segment_id, uscc, is_main`` (+ ``chain_id``) — memberships; with ``chain_id`` the
        assignment is made within each chain (a firm in two chains counts fully in each).
    output : ``uscc, output`` — the firm's output over the period (万元); missing firms have none.

    Returns
    -------
    DataFrame ``segment_id, uscc, is_main, output, assigned`` where ``assigned`` is the output counted
    for concentration in that segment: the whole output in the firm's only segment, or in its main
    segment; a multi-segment firm without a main segment is assigned to its first segment (by id)
    and flagged in ``assign_flag`` (``no_main``).
    """
    key = ["chain_id", "uscc"] if "chain_id" in members else ["uscc"]
    m = members[[*key[:-1], "segment_id", "uscc", "is_main"]].copy()
    m["is_main"] = m["is_main"].fillna(False).astype(bool)
    out = output.groupby("uscc", as_index=False)["output"].sum() if len(output) else \
        pd.DataFrame({"uscc": pd.Series(dtype=object), "output": pd.Series(dtype=float)})
    m = m.merge(out, on="uscc", how="left")
    m = m.sort_values([*key, "is_main", "segment_id"], ascending=[True] * len(key) + [False, True])
    k = m.groupby(key)["segment_id"].transform("size")
    first = ~m.duplicated(key)
    m["assigned"] = np.where(first, m["output"], 0.0)
    m["assign_flag"] = np.where((k > 1) & first & ~m["is_main"], "no_main", "")
    return m.sort_values(["segment_id", "uscc"]).reset_index(drop=True)


def concentration(assigned: pd.DataFrame, segment_ids: list[str]) -> pd.DataFrame:
    """Local firms and supplier concentration per segment (risk-methods §1.4–1.5).

    Returns ``segment_id, n_enterprises, output, cr1, cr3, hhi, hhi_norm, single_source, top_uscc``;
    shares are output shares ``σ_i = q_i / Σq`` of the assigned output; with no output recorded the
    concentration figures are NaN (reason ``no_output``).
    """
    a = assigned[["segment_id", "uscc", "assigned"]].copy()
    a["assigned"] = a["assigned"].astype(float).fillna(0.0)
    a = a.sort_values(["segment_id", "assigned", "uscc"], ascending=[True, False, True])
    a["k"] = a.groupby("segment_id").cumcount()
    a["total"] = a.groupby("segment_id")["assigned"].transform("sum")
    a["s"] = a["assigned"] / a["total"].where(a["total"] > 0)
    a["s2"] = a["s"] ** 2
    g = a.groupby("segment_id")
    res = pd.DataFrame({
        "n_enterprises": g["uscc"].nunique(),
        "output": g["assigned"].sum(),
        "cr1": a[a["k"] == 0].set_index("segment_id")["s"],
        "cr3": a[a["k"] < 3].groupby("segment_id")["s"].sum(min_count=1),
        "hhi": g["s2"].sum(min_count=1),
        "nn": (a["assigned"] > 0).groupby(a["segment_id"]).sum(),
        "top_uscc": a[(a["k"] == 0) & (a["assigned"] > 0)].set_index("segment_id")["uscc"],
    })
    out = pd.DataFrame({"segment_id": list(segment_ids)}).join(res, on="segment_id")
    out["n_enterprises"] = out["n_enterprises"].fillna(0).astype(int)
    out["output"] = out["output"].fillna(0.0)
    nn = out["nn"].fillna(0)
    out["hhi_norm"] = np.where(nn > 1, (out["hhi"] - 1 / nn.where(nn > 0, 1)) / (1 - 1 / nn.where(nn > 1, 2)),
                               np.where(out["hhi"].notna(), 1.0, np.nan))
    out["single_source"] = out["n_enterprises"] == 1
    return out[["segment_id", "n_enterprises", "output", "cr1", "cr3", "hhi", "hhi_norm", "single_source",
                "top_uscc"]]


def match_hs(codes: pd.Series, products: pd.DataFrame) -> pd.DataFrame:
    """Map detailed HS codes to segment product codes by prefix (the longest segment code wins).

    Parameters
    ----------
    codes : HS codes of the data (trade flows, supply links); at least as detailed as the products.
    products : ``segment_id, hs_code`` of the chain.

    Returns
    -------
    DataFrame ``hs, segment_id, product`` — one row per (data code, segment) with the matched
    segment code; a data code matches a segment at most once.
    """
    by_code: dict[str, list[str]] = {}
    for seg, code in zip(products["segment_id"], products["hs_code"], strict=True):
        by_code.setdefault(str(code), []).append(seg)
    rows = []
    for h in pd.unique(codes.dropna().astype(str)):
        seen: set[str] = set()
        for L in range(len(h), 1, -1):
            for seg in by_code.get(h[:L], ()):
                if seg not in seen:
                    seen.add(seg)
                    rows.append((h, seg, h[:L]))
    return pd.DataFrame(rows, columns=["hs", "segment_id", "product"])


def import_dependence(products: pd.DataFrame, trade: pd.DataFrame, seg_output: pd.Series,
                      th: Thresholds = Thresholds()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Import dependence and origin concentration (risk-methods §1.1–1.2).

    Parameters
    ----------
    products : ``segment_id, hs_code``.
    trade : ``hs_code, partner, flow (import|export), value`` for the period — every row counted in
        each segment whose products cover its code — or rows already attributed to segments
        (``segment_id, product, partner, flow, value``, see
        :func:`chainwatch.analytics.trade.attribution.attribute_to_segments`), used as they are.
    seg_output : local output Q_s per segment id (products have no separate output in the data,
        so output enters at segment level).

    Returns
    -------
    (segments, products)
        segments: ``segment_id, imports, exports, apparent_consumption, import_dependence,
        id_fallback (bool), origin_hhi, n_origins, top_origin, top_origin_share, m_over_e,
        critical_dependence``; ``ID_s = ΣM / (Q_s + ΣM − ΣE)``. When C_s ≤ 0 (processing trade)
        the formula is undefined and the flagged fallback ``M/(Q+M)`` is reported instead, with
        ``id_fallback`` true; the same fallback applies when exports exceed local output
        (re-exports), where the formula would exceed 100 %.
        ``origin_hhi`` is the import-weighted mean of product HHIs (origins never pooled).
        products: ``segment_id, product, imports, exports, origin_hhi, n_origins, top_origin,
        top_origin_share``.
    """
    seg_ids = list(seg_output.index)
    empty_p = pd.DataFrame(columns=["segment_id", "product", "imports", "exports", "origin_hhi",
                                    "n_origins", "top_origin", "top_origin_share"])
    if len(trade) and "segment_id" in trade.columns:  # already attributed to segments (cw.trade.segment_flows)
        t = trade[trade["segment_id"].isin(seg_ids)]
    elif len(trade) and len(products):
        mp = match_hs(trade["hs_code"], products)
        t = trade.merge(mp, left_on="hs_code", right_on="hs")
    else:
        t = pd.DataFrame(columns=["segment_id", "product", "partner", "flow", "value"])
    imp = t[t["flow"] == "import"]
    exp = t[t["flow"] == "export"]
    if len(imp):
        by_origin = imp.groupby(["segment_id", "product", "partner"], as_index=False)["value"].sum()
        by_origin["tot"] = by_origin.groupby(["segment_id", "product"])["value"].transform("sum")
        by_origin["s"] = by_origin["value"] / by_origin["tot"].where(by_origin["tot"] > 0)
        by_origin["s2"] = by_origin["s"] ** 2
        prod = by_origin.groupby(["segment_id", "product"]).agg(
            imports=("value", "sum"), origin_hhi=("s2", "sum"), n_origins=("partner", "nunique"))
        top = by_origin.sort_values("value", ascending=False).drop_duplicates(["segment_id", "product"])
        prod = prod.join(top.set_index(["segment_id", "product"])[["partner", "s"]].rename(
            columns={"partner": "top_origin", "s": "top_origin_share"})).reset_index()
    else:
        prod = empty_p.drop(columns=["exports"]).copy()
    pexp = exp.groupby(["segment_id", "product"], as_index=False)["value"].sum().rename(columns={"value": "exports"}) \
        if len(exp) else pd.DataFrame(columns=["segment_id", "product", "exports"])
    prod = prod.merge(pexp, on=["segment_id", "product"], how="outer")
    prod["imports"] = prod["imports"].astype(float).fillna(0.0)
    prod["exports"] = prod["exports"].astype(float).fillna(0.0)
    prod = prod[empty_p.columns].sort_values(["segment_id", "product"]).reset_index(drop=True)

    seg = pd.DataFrame({"segment_id": seg_ids})
    seg["q"] = seg["segment_id"].map(seg_output).astype(float).fillna(0.0)
    sums = prod.groupby("segment_id")[["imports", "exports"]].sum()
    seg = seg.join(sums, on="segment_id")
    seg[["imports", "exports"]] = seg[["imports", "exports"]].fillna(0.0)
    seg["apparent_consumption"] = seg["q"] + seg["imports"] - seg["exports"]
    idv = _ratio(seg["imports"], seg["apparent_consumption"].where(seg["apparent_consumption"] > 0))
    fallback = ((seg["apparent_consumption"] <= 0) | (seg["exports"] > seg["q"])) & (seg["imports"] > 0)
    seg["import_dependence"] = np.where(fallback, _ratio(seg["imports"], seg["q"] + seg["imports"]), idv)
    seg["id_fallback"] = fallback
    w = prod[prod["imports"] > 0].copy()
    if len(w):
        w["wh"] = w["imports"] * w["origin_hhi"].astype(float)
        agg = w.groupby("segment_id").agg(wh=("wh", "sum"), m=("imports", "sum"))
        seg["origin_hhi"] = seg["segment_id"].map(agg["wh"] / agg["m"])
        top = w.assign(topv=w["imports"] * w["top_origin_share"].astype(float)).sort_values(
            "topv", ascending=False).drop_duplicates("segment_id").set_index("segment_id")
        origins = t[t["flow"] == "import"].groupby("segment_id")["partner"].nunique()
        seg["n_origins"] = seg["segment_id"].map(origins).fillna(0).astype(int)
        seg["top_origin"] = seg["segment_id"].map(top["top_origin"])
        seg["top_origin_share"] = seg["segment_id"].map(top["top_origin_share"])
    else:
        seg["origin_hhi"] = np.nan
        seg["n_origins"] = 0
        seg["top_origin"] = None
        seg["top_origin_share"] = np.nan
    seg["m_over_e"] = _ratio(seg["imports"], seg["exports"])
    seg.loc[(seg["exports"] == 0) & (seg["imports"] > 0), "m_over_e"] = np.inf
    seg["critical_dependence"] = (
        (seg["origin_hhi"].fillna(0) > th.critical_hhi)
        & (seg["import_dependence"].fillna(0) > th.critical_id)
        & (seg["m_over_e"].fillna(0) > th.critical_m_over_e))
    return seg.drop(columns=["q"]), prod


def classify_link(links: pd.DataFrame, province: str | None) -> pd.Series:
    """Origin tier of each supply link: ``city`` | ``province`` | ``china`` | ``abroad``.

    ``links`` needs ``supplier_local`` (supplier is an enterprise of the city database),
    ``supplier_country`` and ``supplier_region``.
    """
    country = links["supplier_country"].fillna("CHN").astype(str)
    region = links["supplier_region"].fillna("").astype(str)
    tier = np.where(links["supplier_local"].fillna(False).astype(bool), "city",
                    np.where(country != "CHN", "abroad",
                             np.where((region != "") & (province is not None) & region.str.startswith(province or "~"),
                                      "province", "china")))
    return pd.Series(tier, index=links.index)


def local_supply_rate(links: pd.DataFrame, province: str | None = None) -> dict[str, float]:
    """Local supply rate of a focal buyer set (risk-methods §1.3).

    Parameters
    ----------
    links : the focal buyers' purchase links of chain inputs (``annual_value``, ``supplier_local``,
        ``supplier_country``, ``supplier_region``, ``supplier_key``).
    province : 2-digit province prefix of the city, to split domestic purchases.

    Returns
    -------
    dict with ``lsr`` (value-based, headline), ``lsr_count`` (local suppliers ÷ suppliers),
    ``city``, ``province``, ``china``, ``abroad`` (value shares summing to 1), ``purchases`` and
    ``n_suppliers``. Values are NaN when there are no purchases.
    """
    out = dict.fromkeys(("lsr", "lsr_count", "city", "province", "china", "abroad"), np.nan)
    out.update(purchases=0.0, n_suppliers=0.0)
    if not len(links):
        return out
    tier = classify_link(links, province)
    v = links["annual_value"].astype(float).fillna(0.0)
    total = float(v.sum())
    out["purchases"] = total
    if total > 0:
        for name in ("city", "province", "china", "abroad"):
            out[name] = float(v[tier == name].sum()) / total
        out["lsr"] = out["city"]
    sup = pd.DataFrame({"k": links["supplier_key"], "local": tier == "city"}).drop_duplicates("k")
    out["n_suppliers"] = float(len(sup))
    if len(sup):
        out["lsr_count"] = float(sup["local"].mean())
    return out


def segment_local_supply(links: pd.DataFrame, segment_ids: list[str], province: str | None = None) -> pd.DataFrame:
    """Per segment: how much of local buyers' purchases of the segment's products is local.

    ``links`` carry a resolved ``segment_id`` (the segment of the supplied product). Returns
    ``segment_id, purchases, local_supply, foreign_share, n_local_suppliers, n_domestic_alt,
    n_foreign_alt``; ``foreign_share`` is the value share bought abroad (extra-local dependence,
    risk-methods §1.1) and the last two count distinct external suppliers (rest of China /
    abroad) for §1.6. Shares are NaN for a segment without purchases.
    """
    out = pd.DataFrame({"segment_id": list(segment_ids)})
    if not len(links):
        out["purchases"] = 0.0
        out["local_supply"] = np.nan
        out["foreign_share"] = np.nan
        for c in ("n_local_suppliers", "n_domestic_alt", "n_foreign_alt"):
            out[c] = 0
        return out
    tier = classify_link(links, province)
    v = links["annual_value"].astype(float).fillna(0.0)
    f = pd.DataFrame({"segment_id": links["segment_id"], "k": links["supplier_key"], "v": v,
                      "city": np.where(tier == "city", v, 0.0), "abroad": np.where(tier == "abroad", v, 0.0),
                      "tier": tier.to_numpy()})
    g = f.groupby("segment_id")
    sums = g[["v", "city", "abroad"]].sum()
    d = f.drop_duplicates(["segment_id", "k"])
    counts = pd.DataFrame({"segment_id": d["segment_id"], "n_local_suppliers": d["tier"] == "city",
                           "n_domestic_alt": d["tier"].isin(["province", "china"]),
                           "n_foreign_alt": d["tier"] == "abroad"}).groupby("segment_id").sum()
    out = out.join(sums, on="segment_id").join(counts, on="segment_id")
    out["purchases"] = out["v"].fillna(0.0)
    pos = out["purchases"].where(out["purchases"] > 0)
    out["local_supply"] = out["city"] / pos
    out["foreign_share"] = out["abroad"] / pos
    for c in ("n_local_suppliers", "n_domestic_alt", "n_foreign_alt"):
        out[c] = out[c].fillna(0).astype(int)
    return out[["segment_id", "purchases", "local_supply", "foreign_share", "n_local_suppliers", "n_domestic_alt",
                "n_foreign_alt"]]


def substitution_difficulty(n_local: pd.Series, n_domestic: pd.Series, n_foreign: pd.Series,
                            th: Thresholds = Thresholds()) -> pd.Series:
    """``SD_s = 1 / (1 + n_L + λ_D·n_D + λ_F·n_F)`` (risk-methods §1.6); 1 means no alternative."""
    return 1.0 / (1.0 + n_local.astype(float) + th.lambda_domestic * n_domestic.astype(float)
                  + th.lambda_foreign * n_foreign.astype(float))


def coverage(seg: pd.DataFrame) -> dict[str, float]:
    """Segment coverage of a chain (risk-methods §1.4).

    ``seg`` needs ``position``, ``n_enterprises`` and optionally ``weight``. Returns ``coverage``,
    ``coverage_upstream|midstream|downstream`` and ``coverage_weighted`` (NaN without weights or
    with no segments in a stage).
    """
    present = seg["n_enterprises"] >= 1
    out: dict[str, float] = {"coverage": float(present.mean()) if len(seg) else np.nan}
    for pos in ("upstream", "midstream", "downstream"):
        sel = seg["position"] == pos
        out[f"coverage_{pos}"] = float(present[sel].mean()) if sel.any() else np.nan
    w = seg["weight"].astype(float) if "weight" in seg else pd.Series(np.nan, index=seg.index)
    out["coverage_weighted"] = float((w * present).sum() / w.sum()) if w.notna().all() and w.sum() > 0 else np.nan
    return out
