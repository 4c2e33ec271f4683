"""An independent reference implementation of the statistics in plain pandas (statistics.md §2–§6).

Written from the spec, not from the module: enterprise loops are vectorised with pandas merges, and
the measures are computed from group sums with the textbook formulas.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math

import numpy as np
import pandas as pd

INDICATORS = ("gross_output", "value_added", "revenue", "total_profit", "profit_tax", "export_value",
              "electricity", "employees")
STOCK = {"employees"}


def _g(n: float, d: float) -> float:
    return (n - d) / abs(d) * 100 if d != 0 else np.nan


def _r(a: float, b: float) -> float:
    return a / b * 100 if b != 0 else np.nan


def _members(f: dict[str, pd.DataFrame], ent: pd.DataFrame, g: str, year: int) -> pd.DataFrame:
    if g == "total":
        return pd.DataFrame({"group_id": "total", "uscc": ent.uscc})
    if g == "district":
        return pd.DataFrame({"group_id": ent.district, "uscc": ent.uscc})
    if g == "industry":
        return pd.DataFrame({"group_id": ent.division, "uscc": ent.uscc})
    if g == "size":
        a = f["enterprise_annual"]
        a = a[a.year == year - 1].set_index("uscc")
        out = []
        for u in ent.uscc:
            if u not in a.index or pd.isna(a.at[u, "employees"]) or pd.isna(a.at[u, "revenue"]):
                out.append("unknown")
                continue
            x, y = a.at[u, "employees"], a.at[u, "revenue"] * 10_000
            out.append("large" if x >= 1000 and y >= 4e8 else "medium" if x >= 300 and y >= 2e7
                       else "small" if x >= 20 and y >= 3e6 else "micro")
        return pd.DataFrame({"group_id": out, "uscc": ent.uscc.to_numpy()})
    se = f["segment_enterprise"][["segment_id", "uscc"]]
    se = se[se.uscc.isin(ent.uscc)]
    if g == "segment":
        return se.rename(columns={"segment_id": "group_id"}).drop_duplicates()
    sc = se.merge(f["segment"][["segment_id", "chain_id"]], on="segment_id")
    if g == "chain":
        return sc[["chain_id", "uscc"]].rename(columns={"chain_id": "group_id"}).drop_duplicates()
    cc = sc.merge(f["chain"][["chain_id", "cluster_id"]], on="chain_id").dropna(subset=["cluster_id"])
    return cc[["cluster_id", "uscc"]].rename(columns={"cluster_id": "group_id"}).drop_duplicates()


def reference_stats(f: dict[str, pd.DataFrame], year: int, month: int, by: list[str], indicators=INDICATORS,
                    policy: str = "exclude", districts: list[str] | None = None) -> pd.DataFrame:
    m = max(month, 2)
    spans = {"m": [1, 2] if m == 2 else [m], "c": list(range(1, m + 1))}
    ent = f["enterprise"]
    if districts is not None:
        ent = ent[ent.district.isin(districts)]
    mv = f["monthly_value"].copy()
    mv = mv[mv.uscc.isin(ent.uscc)]
    mv["profit_tax"] = mv.total_profit.fillna(0) + mv.taxes.fillna(0)
    founded = pd.to_datetime(ent.set_index("uscc").founded)
    division = ent.set_index("uscc").division
    sc = f["enterprise_scope"]
    defl = f["deflator"]
    month_span = "cumulative" if m == 2 else "month"

    def values(y, months, ind):
        rows = mv[(mv.year == y) & mv.month.isin(months)]
        v = rows[ind].fillna(0)
        return v.groupby(rows.uscc).mean() if ind in STOCK else v.groupby(rows.uscc).sum()

    def ppi(y, s):
        span = month_span if s == "m" else "cumulative"
        d = defl[(defl.period == f"{y:04d}-{m:02d}") & (defl.span == span)].set_index("industry").index_value
        star = d.get("*", np.nan)
        return {u: d.get(division[u], star) for u in division.index}

    # per-enterprise caliber for k = 0 (t vs t-1) and k = 1 (t-1 vs t-2)
    cal: dict[tuple[int, str], pd.DataFrame] = {}
    for k in (0, 1):
        y = year - k
        in_scope = set(sc[(sc.year == y) & sc.above_size].uscc)
        cutoff = pd.Timestamp(dt.date(y - 1, m, calendar.monthrange(y - 1, m)[1]))
        for s, months in spans.items():
            cur_rows = mv[(mv.year == y) & mv.month.isin(months)]
            prev_rows = mv[(mv.year == y - 1) & mv.month.isin(months)]
            S = sorted(set(cur_rows.uscc) & in_scope)
            own = set(prev_rows.uscc)
            recs = []
            for u in S:
                fd = founded.get(u)
                new = u not in own and pd.notna(fd) and fd > cutoff
                inc = u not in own and not new
                recs.append({"uscc": u, "own": u in own, "new": new, "inc": inc,
                             "use": (not inc) or policy == "zero"})
            e = pd.DataFrame(recs, columns=["uscc", "own", "new", "inc", "use"]).set_index("uscc")
            x = ppi(y, s)
            e["ppi"] = [x.get(u, np.nan) for u in e.index]
            for ind in indicators:
                cur = values(y, months, ind).reindex(e.index).fillna(0)
                prev = values(y - 1, months, ind).reindex(e.index).fillna(0)
                e[f"L_{ind}"] = cur
                e[f"N_{ind}"] = np.where(e.use, cur, 0.0)
                e[f"D_{ind}"] = np.where(e.use & e.own, prev, 0.0)
                if ind == "value_added":
                    e["C_value_added"] = np.where(e.use, cur / (e.ppi / 100), 0.0)
            if s == "c" and k == 0:
                e["profit"] = values(y, months, "total_profit").reindex(e.index).fillna(0)
            cal[(k, s)] = e

    def comparable(k, tot_d):
        ok = True
        for s in ("m", "c"):
            e = cal[(k, s)]
            ok = ok and not e[e.use].ppi.isna().any()
        return ok and tot_d != 0

    out = []
    for g in ["total", *[b for b in by if b != "total"]]:
        mem = _members(f, ent, g, year)
        for gid, part in mem.groupby("group_id"):
            us = set(part.uscc)
            sub = {key: e[e.index.isin(us)] for key, e in cal.items()}
            c0 = sub[(0, "c")]
            base = {"group_type": g, "group_id": str(gid), "n_enterprises": len(c0),
                    "n_month_enterprises": len(sub[(0, "m")]), "n_new": int(c0.new.sum()),
                    "n_incomplete_base": int(c0.inc.sum()), "n_loss": int((c0.profit < -1e-6).sum()),
                    "loss_total": float(-c0.profit[c0.profit < -1e-6].sum())}
            for ind in indicators:
                row = dict(base, indicator=ind)
                tot = {key: e for key, e in cal.items()}
                cmp0 = ind == "value_added" and comparable(0, tot[(0, "c")]["D_value_added"].sum())
                cmp1 = ind == "value_added" and comparable(1, tot[(1, "c")]["D_value_added"].sum())

                def nd(src, k, s, _ind=ind, _c0=cmp0, _c1=cmp1):
                    e = src[(k, s)]
                    use_c = _c0 if k == 0 else _c1
                    n = e["C_value_added"].sum() if use_c else e[f"N_{_ind}"].sum()
                    return n, e[f"D_{_ind}"].sum()

                for s, pre in (("c", ""), ("m", "month_")):
                    n, d = nd(sub, 0, s)
                    tn, td = nd(tot, 0, s)
                    g2 = _g(n, d)
                    row["ytd_yoy_pct" if s == "c" else "month_yoy_pct"] = g2
                    row[pre + "contribution_pct"] = _r(n - d, tn - td)
                    row[pre + "pull_pp"] = _r(n - d, abs(td))
                    n1, d1 = nd(sub, 1, s)
                    g1 = _g(n1, d1)
                    prod = (1 + g1 / 100) * (1 + g2 / 100)
                    row[pre + "two_year_avg_pct"] = (math.sqrt(prod) - 1) * 100 if prod >= 0 else np.nan
                row["month_value"] = sub[(0, "m")][f"L_{ind}"].sum()
                row["ytd_value"] = c0[f"L_{ind}"].sum()
                row["share_pct"] = _r(row["ytd_value"], tot[(0, "c")][f"L_{ind}"].sum())
                row["month_share_pct"] = _r(row["month_value"], tot[(0, "m")][f"L_{ind}"].sum())
                row["base_share_pct"] = _r(c0[f"D_{ind}"].sum(), abs(tot[(0, "c")][f"D_{ind}"].sum()))
                used = c0[c0.use]
                diff = used[f"N_{ind}"] - used[f"D_{ind}"]
                tol = np.maximum(np.maximum(used[f"N_{ind}"].abs(), used[f"D_{ind}"].abs()) * 1e-9, 1e-6)
                row["n_growing"] = int((diff > tol).sum())
                row["n_declining"] = int((-diff > tol).sum())
                row["basis"] = "comparable" if cmp0 else "current"
                out.append(row)
    return pd.DataFrame(out)
