"""Import dependence (对外依存度) and import-source concentration (进口来源集中度) of segments.

risk-methods.md §1.1–1.2:

* origin shares ``s_pc = M_pc / M_p``; ``HHI_p = Σ_c s_pc²`` in [1/k, 1]; effective number of
  sources ``1 / HHI``;
* segment HHI = import-weighted mean of its product HHIs, ``HHI_s = Σ_p (M_p / M_s) · HHI_p``
  (origins are *not* pooled across products, which would hide single-source products); the pooled
  HHI and the first-country share CR1 of the segment's pooled imports are reported beside it;
* import dependence ``ID = M / (Q + M − E)`` (apparent consumption); when ``Q + M − E ≤ 0``
  (processing trade), or when exports exceed local output (re-exports, where the formula would exceed
  100 %), the fallback ``M / (Q + M)`` is used and flagged; unknown output → null;
* bands of the HHI on the 0–1 scale: < 0.15 unconcentrated, 0.15–0.25 moderate, > 0.25 high;
* critical dependence (EC SWD(2021) 352 style): HHI > 0.4 and ID > 0.5 and M / E > 1.

Ratios are ratios of sums. A zero denominator gives null with a reason, never 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BAND_MODERATE = 0.15
BAND_HIGH = 0.25
CRITICAL_HHI = 0.4
CRITICAL_ID = 0.5


def hhi_band(hhi: float | None, moderate: float = BAND_MODERATE, high: float = BAND_HIGH) -> str | None:
    """``unconcentrated`` (< moderate), ``moderate`` (moderate–high) or ``high`` (> high); None for null."""
    if hhi is None or (isinstance(hhi, float) and np.isnan(hhi)):
        return None
    if hhi < moderate:
        return "unconcentrated"
    if hhi <= high:
        return "moderate"
    return "high"


def origin_shares(imports: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Per ``by`` group: each partner's value, share (0–1) and rank (1 = largest).

    ``imports`` holds ``[*by, partner, value]``; non-positive values are dropped.
    """
    pos = imports[imports["value"] > 0]
    agg = pos.groupby([*by, "partner"], sort=False, as_index=False)["value"].sum()
    tot = agg.groupby(by, sort=False)["value"].transform("sum")
    agg["share"] = agg["value"] / tot
    agg = agg.sort_values([*by, "value", "partner"], ascending=[True] * len(by) + [False, True])
    agg["rank"] = agg.groupby(by, sort=False).cumcount() + 1
    return agg.reset_index(drop=True)


def origin_concentration(imports: pd.DataFrame, *, unit: str = "segment_id",
                         product: str = "product") -> dict[str, pd.DataFrame]:
    """HHI, CR1 and origin shares per product and per unit (segment), §1.2.

    Parameters
    ----------
    imports : ``[unit, product, partner, value]`` import values (any money unit).

    Returns
    -------
    dict with
        ``products``: ``[unit, product, imports, hhi, cr1, top_partner, n_origins]``;
        ``units``: ``[unit, imports, hhi, hhi_pooled, cr1, top_partner, n_origins, n_products,
        effective_sources, band]``;
        ``origins``: ``[unit, partner, value, share, rank]`` (pooled over the unit's products).

    Examples
    --------
    >>> df = pd.DataFrame({"segment_id": ["s"] * 3, "product": ["a", "a", "b"],
    ...                    "partner": ["JPN", "KOR", "DEU"], "value": [50.0, 50.0, 100.0]})
    >>> out = origin_concentration(df)
    >>> float(out["units"].loc[0, "hhi"]), float(out["units"].loc[0, "hhi_pooled"])
    (0.75, 0.375)
    """
    prod_sh = origin_shares(imports, [unit, product])
    prod_sh["s2"] = prod_sh["share"] ** 2
    g = prod_sh.groupby([unit, product], sort=False)
    products = g.agg(imports=("value", "sum"), hhi=("s2", "sum"), n_origins=("partner", "size")).reset_index()
    top = prod_sh[prod_sh["rank"] == 1][[unit, product, "partner", "share"]].rename(
        columns={"partner": "top_partner", "share": "cr1"})
    products = products.merge(top, on=[unit, product], how="left")

    pooled = origin_shares(imports, [unit])
    pooled["s2"] = pooled["share"] ** 2
    gp = pooled.groupby(unit, sort=False)
    units = gp.agg(imports=("value", "sum"), hhi_pooled=("s2", "sum"), n_origins=("partner", "size")).reset_index()
    ptop = pooled[pooled["rank"] == 1][[unit, "partner", "share"]].rename(
        columns={"partner": "top_partner", "share": "cr1"})
    units = units.merge(ptop, on=unit, how="left")
    products["_w"] = products["imports"] * products["hhi"]
    weighted = products.groupby(unit, sort=False).agg(_w=("_w", "sum"), _m=("imports", "sum"),
                                                      n_products=(product, "size"))
    weighted["hhi"] = weighted["_w"] / weighted["_m"]
    units = units.merge(weighted[["hhi", "n_products"]].reset_index(), on=unit, how="left")
    units["effective_sources"] = 1.0 / units["hhi"]
    units["band"] = [hhi_band(h) for h in units["hhi"]]
    products = products.drop(columns="_w")
    cols = [unit, "imports", "hhi", "hhi_pooled", "cr1", "top_partner", "n_origins", "n_products",
            "effective_sources", "band"]
    return {"products": products.reset_index(drop=True), "units": units[cols],
            "origins": pooled.drop(columns="s2").reset_index(drop=True)}


def import_dependence(m: pd.Series, e: pd.Series, q: pd.Series) -> pd.DataFrame:
    """Import dependence ``M / (Q + M − E)`` with the §1.1 fallback, vectorised.

    Parameters
    ----------
    m, e, q : imports, exports and output (same unit, aligned index); ``q`` NaN when unknown.

    Returns
    -------
    DataFrame with ``dependence`` (0–1 or NaN) and ``method``: ``apparent_consumption``,
    ``fallback`` (C ≤ 0 or E > Q, so M / (Q + M)), or a reason for null: ``no_output`` or
    ``no_consumption``.

    Examples
    --------
    >>> r = import_dependence(pd.Series([30.0, 50.0]), pd.Series([10.0, 80.0]), pd.Series([80.0, 20.0]))
    >>> r["dependence"].round(3).tolist(), r["method"].tolist()
    ([0.3, 0.714], ['apparent_consumption', 'fallback'])
    """
    m = m.astype(float)
    e = e.astype(float).fillna(0.0)
    q = q.astype(float)
    c = q + m - e
    alt = q + m
    dep = pd.Series(np.nan, index=m.index)
    method = pd.Series(None, index=m.index, dtype=object)
    unknown = q.isna()
    ok = ~unknown & (c > 0) & (e <= q)
    fb = ~unknown & ~ok & (alt > 0)
    dep[ok] = m[ok] / c[ok]
    dep[fb] = m[fb] / alt[fb]
    method[ok] = "apparent_consumption"
    method[fb] = "fallback"
    method[unknown] = "no_output"
    method[~unknown & ~ok & ~fb] = "no_consumption"
    return pd.DataFrame({"dependence": dep, "method": method})


def critical(hhi: pd.Series, dependence: pd.Series, m: pd.Series, e: pd.Series) -> pd.Series:
    """The critical-dependence flag: HHI > 0.4, ID > 0.5 and imports not covered by exports (M/E > 1).

    Null inputs give False. With no exports (E = 0) and positive imports, M/E > 1 holds.
    """
    covered = (m.astype(float) > e.astype(float).fillna(0.0))
    return ((hhi.astype(float) > CRITICAL_HHI) & (dependence.astype(float) > CRITICAL_ID) & covered).fillna(False)


SEGMENT_COLUMNS = ["segment_id", "chain_id", "position", "status", "imports", "exports", "output",
                   "import_dependence_pct", "dependence_method", "hhi", "hhi_pooled", "cr1_pct", "top_country",
                   "n_origins", "effective_sources", "band", "n_products", "single_source_products", "critical"]


def segment_table(segments: pd.DataFrame, imports: pd.DataFrame, exports: pd.DataFrame, output: pd.Series,
                  *, with_products: set[str] | None = None, share_of_purchases: bool = False,
                  concentration: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """One row per segment: imports, exports, output, dependence, concentration and flags.

    Parameters
    ----------
    segments : ``[segment_id, chain_id, position]`` — every segment to report (in order).
    imports : ``[segment_id, product, partner, value]`` attributed imports.
    exports : ``[segment_id, ..., value]`` attributed exports.
    output : local output Q per segment id; absent → unknown (null dependence, ``no_output``).
    with_products : segment ids that have HS products; the others get status ``no_products``
        (None: do not check).
    share_of_purchases : the inputs come from supply links (``output`` = domestic purchases):
        dependence is labelled ``supply_links_share``.
    concentration : the result of :func:`origin_concentration` on ``imports``, if already computed.

    Returns
    -------
    DataFrame with :data:`SEGMENT_COLUMNS`; ``status`` is ``ok``, ``no_imports`` or ``no_products``;
    ``cr1_pct`` and ``import_dependence_pct`` in %.
    """
    conc = concentration
    if conc is None and len(imports):
        conc = origin_concentration(imports, unit="segment_id")
    units = conc["units"].set_index("segment_id") if conc else pd.DataFrame()
    ids = segments["segment_id"].reset_index(drop=True)
    m = imports.groupby("segment_id")["value"].sum() if len(imports) else pd.Series(dtype=float)
    e = exports.groupby("segment_id")["value"].sum() if len(exports) else pd.Series(dtype=float)
    mm = m.reindex(ids).fillna(0.0).astype(float).reset_index(drop=True)
    ee = e.reindex(ids).fillna(0.0).astype(float).reset_index(drop=True)
    qq = output.reindex(ids).astype(float).reset_index(drop=True)
    d = import_dependence(mm, ee, qq)
    if share_of_purchases:
        d["method"] = np.where(d["dependence"].notna(), "supply_links_share", d["method"])
    out = pd.DataFrame({"segment_id": ids, "chain_id": segments["chain_id"].to_numpy(),
                        "position": segments["position"].to_numpy(), "imports": mm, "exports": ee, "output": qq,
                        "import_dependence_pct": d["dependence"] * 100.0, "dependence_method": d["method"]})
    for col, src in (("hhi", "hhi"), ("hhi_pooled", "hhi_pooled"), ("cr1", "cr1"), ("top_country", "top_partner"),
                     ("n_origins", "n_origins"), ("n_products", "n_products"),
                     ("effective_sources", "effective_sources"), ("band", "band")):
        out[col] = out["segment_id"].map(units[src]) if len(units) else None
    out["cr1_pct"] = out.pop("cr1").astype(float) * 100.0
    out["hhi"] = out["hhi"].astype(float)
    out["n_origins"] = out["n_origins"].fillna(0).astype(int)
    out["n_products"] = out["n_products"].fillna(0).astype(int)
    out["critical"] = critical(out["hhi"], d["dependence"], out["imports"], out["exports"]).astype(bool)
    if conc is not None:
        prods = conc["products"]
        n_single = prods[prods["n_origins"] == 1].groupby("segment_id").size()
        out["single_source_products"] = out["segment_id"].map(n_single).fillna(0).astype(int)
    else:
        out["single_source_products"] = 0
    no_products = ~out["segment_id"].isin(with_products) if with_products is not None else False
    out["status"] = np.where(no_products, "no_products", np.where(out["imports"] > 0, "ok", "no_imports"))
    return out[SEGMENT_COLUMNS]
