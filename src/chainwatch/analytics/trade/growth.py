"""Trade levels, shares, year-on-year growth, contribution (贡献率) and pull (拉动) by any key.

Inputs are long frames of trade values ``[<key>, flow, year, month, value]`` (flow ``import`` or
``export``) already attributed to the keys of a view (partner group, country, chain, segment, HS
section …) and, separately, the totals of the whole area. Totals are passed separately because keys
may overlap (a country belongs to several groups; a product to several segments): the total is never
the sum of the keys.

For a period ``P`` (statistics.md §4):

* 当月 (``month_*``): the official months of ``P`` — January and February combined as 1–2月;
* 累计 (``ytd_*`` and the unprefixed share/contribution/pull): months 1..m of ``P``'s year;
* each against the same months of the previous year (the base, ``*_base_value``).

Output names follow the statistics module: ``ytd_value, ytd_yoy_pct, share_pct, base_share_pct,
contribution_pct, pull_pp`` for the cumulative span and ``month_*`` for the month.

Measures (statistics.md §6), for component i and total T in a window:

* ``yoy_pct      = (Y_i,t / Y_i,t−1 − 1) × 100``, null when the base is 0;
* ``share_pct    = Y_i,t / T_t × 100``; ``share_change_pp`` against the base share;
* ``contribution_pct = ΔY_i / ΔT × 100`` (null when ΔT = 0); sums to 100 only over a partition;
* ``pull_pp      = ΔY_i / T_t−1 × 100`` (null when T_t−1 = 0); sums to the total growth over a partition.

Trade growth is computed from totals of all traders (the customs convention), not on a
same-caliber enterprise panel; results are labelled ``computed``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from chainwatch.model.periods import Period

FLOWS = ("import", "export", "total")
WINDOWS = ("month", "cum")
_MEASURES = ("value", "prior", "yoy_pct", "share_pct", "base_share_pct", "share_change_pp", "contribution_pct",
             "pull_pp")
#: internal window/measure column -> public field name (stable JSON contract, see docs/trade.md)
PUBLIC_NAMES = {f"month_{m}": f"month_{m}" for m in _MEASURES} | {"month_prior": "month_base_value"} | {
    "cum_value": "ytd_value", "cum_prior": "ytd_base_value", "cum_yoy_pct": "ytd_yoy_pct",
    "cum_share_pct": "share_pct", "cum_base_share_pct": "base_share_pct", "cum_share_change_pp": "share_change_pp",
    "cum_contribution_pct": "contribution_pct", "cum_pull_pp": "pull_pp"}
METRIC_COLUMNS = [PUBLIC_NAMES[f"{w}_{m}"] for w in WINDOWS for m in _MEASURES]


def windows(period: Period) -> dict[str, tuple[int, tuple[int, ...]]]:
    """Year and months of the four windows (current/prior × 当月/累计) of ``period``."""
    return {
        "month_value": (period.year, period.official_months),
        "month_prior": (period.year - 1, period.official_months),
        "cum_value": (period.year, period.cumulative_months),
        "cum_prior": (period.year - 1, period.cumulative_months),
    }


def with_total_flow(frame: pd.DataFrame) -> pd.DataFrame:
    """Append ``flow = 'total'`` rows (import + export) to a long trade frame."""
    both = frame[frame["flow"].isin(["import", "export"])]
    return pd.concat([frame, both.assign(flow="total")], ignore_index=True)


def window_sums(frame: pd.DataFrame, keys: Sequence[str], period: Period) -> pd.DataFrame:
    """Sum ``value`` per ``keys + [flow]`` in each of the four windows of ``period``.

    Keys absent from a window get 0 there. ``frame`` holds ``[*keys, flow, year, month, value]``.
    """
    group = [*keys, "flow"]
    data = with_total_flow(frame)
    year = data["year"].to_numpy()
    month = data["month"].to_numpy()
    value = data["value"].to_numpy(dtype=float)
    cols = {}
    inside = np.zeros(len(data), dtype=bool)
    for name, (y, months) in windows(period).items():
        mask = (year == y) & np.isin(month, months)
        cols[name] = np.where(mask, value, 0.0)
        inside |= mask
    sums = pd.DataFrame(cols, index=data.index)
    sums[group] = data[group]
    out = sums[inside].groupby(group, dropna=False, sort=False)[list(cols)].sum()
    return out.reset_index()


def _div(num: pd.Series, den: pd.Series) -> pd.Series:
    den = den.astype(float)
    return num.astype(float) / den.where(den != 0, np.nan)


def _measures(df: pd.DataFrame) -> pd.DataFrame:
    for w in WINDOWS:
        cur, pri = df[f"{w}_value"], df[f"{w}_prior"]
        tcur, tpri = df[f"_t_{w}_value"], df[f"_t_{w}_prior"]
        df[f"{w}_yoy_pct"] = (_div(cur, pri) - 1.0) * 100.0
        share = _div(cur, tcur) * 100.0
        base_share = _div(pri, tpri) * 100.0
        df[f"{w}_share_pct"] = share
        df[f"{w}_base_share_pct"] = base_share
        df[f"{w}_share_change_pp"] = share - base_share
        df[f"{w}_contribution_pct"] = _div(cur - pri, tcur - tpri) * 100.0
        df[f"{w}_pull_pp"] = _div(cur - pri, tpri) * 100.0
    return df


def trade_growth(items: pd.DataFrame, totals: pd.DataFrame, period: Period, *, key: str = "key",
                 flows: Sequence[str] = FLOWS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Levels, shares, growth, contribution and pull per key and flow, plus the total rows.

    Parameters
    ----------
    items : long frame ``[key, flow, year, month, value]``; a trade value may appear under several keys.
    totals : long frame ``[flow, year, month, value]`` of the whole area (the denominators).
    period : the report period; windows as in :func:`windows`.
    key : name of the key column of ``items``.
    flows : which of ``import``, ``export``, ``total`` to return.

    Returns
    -------
    (rows, total) : ``rows`` has ``[key, flow, *METRIC_COLUMNS]`` sorted by flow then current
        cumulative value descending; ``total`` has ``[flow, *METRIC_COLUMNS]`` (share and
        contribution 100 when defined). Field names as in :data:`PUBLIC_NAMES`.

    Examples
    --------
    >>> f = pd.DataFrame({"key": ["a", "a"], "flow": ["export"] * 2, "year": [2020, 2021],
    ...                   "month": [3, 3], "value": [100.0, 120.0]})
    >>> rows, tot = trade_growth(f, f.drop(columns="key"), Period(2021, 3), flows=["export"])
    >>> round(float(rows.loc[0, "ytd_yoy_pct"]), 6), float(rows.loc[0, "contribution_pct"])
    (20.0, 100.0)
    """
    tot = window_sums(totals.assign(_k="*"), ["_k"], period).drop(columns="_k")
    tot_prefixed = tot.rename(columns={c: f"_t_{c}" for c in tot.columns if c != "flow"})
    rows = window_sums(items, [key], period) if len(items) else pd.DataFrame(
        columns=[key, "flow", *windows(period)])
    rows = rows.merge(tot_prefixed, on="flow", how="left").fillna(
        {c: 0.0 for c in tot_prefixed.columns if c != "flow"})
    rows = _measures(rows)
    total = _measures(tot.merge(tot_prefixed, on="flow"))
    order = {f: i for i, f in enumerate(FLOWS)}
    rows = rows[rows["flow"].isin(flows)].copy()
    rows["_o"] = rows["flow"].map(order)
    rows = rows.sort_values(["_o", "cum_value", key], ascending=[True, False, True])
    total = total[total["flow"].isin(flows)].copy()
    total["_o"] = total["flow"].map(order)
    total = total.sort_values("_o")
    rows = rows.rename(columns=PUBLIC_NAMES)
    total = total.rename(columns=PUBLIC_NAMES)
    keep = [key, "flow", *METRIC_COLUMNS]
    return rows[keep].reset_index(drop=True), total[["flow", *METRIC_COLUMNS]].reset_index(drop=True)


def attach_groups(frame: pd.DataFrame, members: pd.DataFrame, *, key: str = "key") -> pd.DataFrame:
    """Attribute partner rows to partner groups (a partner may be in several groups or none).

    ``members`` holds ``[group_id, member]``; the result has ``key`` = group id.
    """
    m = members[["group_id", "member"]].drop_duplicates().rename(columns={"group_id": key})
    out = frame.merge(m, left_on="partner", right_on="member", how="inner")
    return out.drop(columns="member")


def attach_products(frame: pd.DataFrame, products: pd.DataFrame, *, key: str,
                    code: str = "hs_code") -> pd.DataFrame:
    """Attribute HS-coded rows to the keys (segments, chains) whose products cover them.

    A product code covers every trade code that starts with it (product ``8703`` covers trade code
    ``87032310``); a trade code shorter than the product code is not covered. A row matched by
    several products of one key counts once for that key, under its longest (most specific)
    product, returned in column ``product``.

    Parameters
    ----------
    frame : rows with an HS code column ``code``.
    products : ``[key, hs_code]`` (a segment's or chain's products).
    """
    base = frame.reset_index(drop=True)
    base["__r"] = np.arange(len(base))
    codes = base[code].astype(str)
    prods = products[[key, "hs_code"]].drop_duplicates().astype({"hs_code": str})
    parts = []
    for length in sorted(prods["hs_code"].str.len().unique()):
        pl = prods[prods["hs_code"].str.len() == length].rename(columns={"hs_code": "product"})
        sub = base[codes.str.len() >= length].assign(_prefix=lambda d, n=length: d[code].astype(str).str[:n])
        parts.append(sub.merge(pl, left_on="_prefix", right_on="product", how="inner"))
    if not parts:
        return base.iloc[0:0].assign(**{key: pd.Series(dtype=str), "product": pd.Series(dtype=str)}).drop(
            columns="__r")
    out = pd.concat(parts, ignore_index=True)
    out["_len"] = out["product"].str.len()
    out = out.sort_values("_len", ascending=False).drop_duplicates(["__r", key])
    return out.sort_values("__r").drop(columns=["__r", "_prefix", "_len"]).reset_index(drop=True)


def coverage(items: pd.DataFrame, totals: pd.DataFrame) -> dict[str, float | bool | None]:
    """How the keys of a view relate to the total: overlap and coverage.

    ``additive`` is True when no trade value is counted under two keys (then shares and
    contributions of the keys add up to their coverage); ``covered_pct`` is the share of the total
    value attributed to at least one key. Both need a ``_row`` column in ``items`` identifying the
    underlying trade row; without it only the sums are compared.
    """
    total = float(totals["value"].sum())
    if "_row" in items.columns:
        dup = bool(items["_row"].duplicated().any())
        covered = float(items.drop_duplicates("_row")["value"].sum())
    else:
        covered = float(items["value"].sum())
        dup = covered > total * (1 + 1e-9)
    return {"additive": not dup, "covered_pct": covered / total * 100.0 if total else None}
