"""Enterprise-level monthly series with the enterprise's own year-on-year change."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis

from chainwatch.analytics.stats.compute import growth_expr

Table = Any


def enterprise_series_expr(monthly: Table, scope: Table, uscc: str, indicators: Sequence[str]) -> Table:
    """One enterprise's months: ``period, year, month, above_size`` and per indicator the value and
    ``{ind}_yoy_pct`` against its own value in the same month a year earlier (null without one or
    when that value is 0). ``profit_tax`` is total_profit + taxes.
    """
    mv = monthly.filter(monthly.uscc == uscc)
    cols: dict[str, Any] = {"period": mv.period, "year": mv.year, "month": mv.month}
    for ind in indicators:
        cols[ind] = (mv.total_profit.fill_null(0) + mv.taxes.fill_null(0)) if ind == "profit_tax" else mv[ind]
    cur = mv.select(**cols)
    prev = cur.select(pyear=cur.year + 1, pmonth=cur.month, **{f"p_{i}": cur[i] for i in indicators})
    j = cur.left_join(prev, (cur.year == prev.pyear) & (cur.month == prev.pmonth))
    sc = scope.filter(scope.uscc == uscc).select(syear=scope.year, above_size=scope.above_size)
    j = j.left_join(sc, j.year == sc.syear)
    out: dict[str, Any] = {"period": j.period, "year": j.year, "month": j.month,
                           "above_size": j.above_size.fill_null(False)}
    for ind in indicators:
        out[ind] = j[ind].cast("float64")
        out[f"{ind}_yoy_pct"] = growth_expr(j[ind].cast("float64"), j[f"p_{ind}"].cast("float64").fill_null(0.0))
    return j.select(**out).order_by("period")




def _period_table(periods: Sequence[tuple[int, int]]) -> Table:
    import calendar
    import datetime as dt

    import pandas as pd

    rows = []
    for y, m in periods:
        m = max(int(m), 2)
        rows.append({"pid": f"{y:04d}-{m:02d}", "py": int(y), "pm": m, "mlo": 1 if m == 2 else m,
                     "end1": dt.date(y - 1, m, calendar.monthrange(y - 1, m)[1]),
                     "span_m": "cumulative" if m == 2 else "month"})
    df = pd.DataFrame(rows).drop_duplicates("pid")
    return ibis.memtable(df, schema={"pid": "string", "py": "int64", "pm": "int64", "mlo": "int64",
                                     "end1": "date", "span_m": "string"})


def series_expr(tables: dict[str, Table], periods: Sequence[tuple[int, int]], group_type: str, group_id: str,
                indicator: str, *, policy: str = "exclude", districts: Sequence[str] | None = None) -> Table:
    """Same-caliber statistics of one group and indicator for many periods in one query.

    The same rules as :func:`chainwatch.analytics.stats.stats_expr` (without the two-year average),
    vectorised over a table of periods instead of one period per query, for monthly trend charts.

    Returns
    -------
    ibis.Table with ``period, month_value, ytd_value, month_yoy_pct, ytd_yoy_pct, share_pct,
    n_enterprises, n_month_enterprises, basis``, one row per period where the group has members
    in the caliber data.
    """
    from chainwatch.analytics.stats.compute import ratio_expr
    from chainwatch.analytics.stats.groups import membership
    from chainwatch.analytics.stats.indicators import INDICATORS
    from chainwatch.analytics.stats.panel import _value_column

    ind = INDICATORS[indicator]
    pt = _period_table(periods)
    ent = tables["enterprise"]
    if districts is not None:
        ent = ent.filter(ent.district.isin(list(districts)))
    mv = tables["monthly_value"]
    mv = mv.select(uscc=mv.uscc, year=mv.year.cast("int64"), month=mv.month.cast("int64"),
                   v=_value_column(mv, indicator).cast("float64").fill_null(0.0))
    parts = []
    for k in (0, 1):
        j = mv.inner_join(pt, [mv.year == pt.py - k, mv.month <= pt.pm])
        parts.append(j.select("uscc", "month", "v", "pid", "py", "pm", "mlo", "end1", "span_m", k=ibis.literal(k)))
    j = parts[0].union(parts[1], distinct=False)
    aggs: dict[str, Any] = {}
    for k in (0, 1):
        in_c = j.k == k
        in_m = in_c & (j.month >= j.mlo)
        aggs[f"has_m{k}"] = in_m.sum()
        aggs[f"has_c{k}"] = in_c.sum()
        agg = j.v.mean if ind.kind == "stock" else j.v.sum
        aggs[f"v_m{k}"] = agg(where=in_m).fill_null(0.0)
        aggs[f"v_c{k}"] = agg(where=in_c).fill_null(0.0)
    panel = j.group_by(["uscc", "pid", "py", "end1", "span_m"]).aggregate(**aggs)
    e = ent.select("uscc", "founded", "division")
    sc = tables["enterprise_scope"]
    sc = sc.filter(sc.above_size).select(s_uscc=sc.uscc, s_year=sc.year.cast("int64"), sc0=ibis.literal(True))
    f = panel.inner_join(e, "uscc").left_join(sc, [panel.uscc == sc.s_uscc, panel.py == sc.s_year])
    deflate = ind.deflatable and "deflator" in tables
    if deflate:
        d = tables["deflator"]
        for s in ("m", "c"):
            for star in (False, True):
                dd = d.filter(d.industry == "*") if star else d.filter(d.industry != "*")
                name = f"{'s' if star else 'x'}_{s}"
                dd = dd.select(**{f"{name}_ind": dd.industry, f"{name}_per": dd.period, f"{name}_span": dd.span,
                                  name: dd.index_value})
                span_match = (dd[f"{name}_span"] == f.span_m) if s == "m" else (dd[f"{name}_span"] == "cumulative")
                preds = [dd[f"{name}_per"] == f.pid, span_match]
                if not star:
                    preds.append(dd[f"{name}_ind"] == f.division)
                f = f.left_join(dd, preds)
    new = f.founded.notnull() & (f.founded > f.end1)
    cols: dict[str, Any] = {"uscc": f.uscc, "pid": f.pid}
    for s in ("m", "c"):
        inside = f.sc0.fill_null(False) & (f[f"has_{s}0"] > 0)
        own = f[f"has_{s}1"] > 0
        inc = ~own & ~new
        use = inside & ~inc if policy == "exclude" else inside
        cols[f"in_{s}"] = inside
        cols[f"use_{s}"] = use
        cols[f"own_{s}"] = own
        cols[f"cur_{s}"] = f[f"v_{s}0"]
        cols[f"prev_{s}"] = f[f"v_{s}1"]
        if deflate:
            cols[f"X_{s}"] = f[f"x_{s}"].fill_null(f[f"s_{s}"])
    g = f.select(**cols)
    calc: dict[str, Any] = {}
    for s in ("m", "c"):
        calc[f"N_{s}"] = ibis.ifelse(g[f"use_{s}"], g[f"cur_{s}"], 0.0)
        calc[f"D_{s}"] = ibis.ifelse(g[f"use_{s}"] & g[f"own_{s}"], g[f"prev_{s}"], 0.0)
        calc[f"L_{s}"] = ibis.ifelse(g[f"in_{s}"], g[f"cur_{s}"], 0.0)
        if deflate:
            calc[f"C_{s}"] = ibis.ifelse(g[f"use_{s}"], g[f"cur_{s}"] / (g[f"X_{s}"] / 100.0), 0.0)
            calc[f"XM_{s}"] = g[f"use_{s}"] & g[f"X_{s}"].isnull()
    g = g.mutate(**calc)
    mem_t = membership("total", ent)
    mem_t = mem_t.select(uscc=mem_t.uscc.cast("string"), is_group=ibis.literal(group_type == "total"))
    mem = mem_t
    if group_type != "total":
        mg = membership(group_type, ent, segment_enterprise=tables.get("segment_enterprise"),
                        segment=tables.get("segment"), chain=tables.get("chain"),
                        annual=tables.get("enterprise_annual"), size_year=None) if group_type != "size" else None
        if mg is None:
            raise ValueError("series by size is not supported (size classes depend on the year)")
        mg = mg.filter(mg.group_id == group_id)
        mg = mg.select(uscc=mg.uscc.cast("string"), is_group=ibis.literal(True))
        mem = mem_t.union(mg, distinct=False)
    jj = mem.inner_join(g, "uscc")
    sums: dict[str, Any] = {"n_enterprises": jj.in_c.sum(), "n_month_enterprises": jj.in_m.sum()}
    for s in ("m", "c"):
        for name in ("N", "D", "L") + (("C",) if deflate else ()):
            sums[f"{name}_{s}"] = jj[f"{name}_{s}"].sum()
        if deflate:
            sums[f"XM_{s}"] = jj[f"XM_{s}"].sum()
    agg_t = jj.group_by(["pid", "is_group"]).aggregate(**sums)
    grp = agg_t.filter(agg_t.is_group)
    if group_type == "total":
        tot = grp
    else:
        tot = agg_t.filter(~agg_t.is_group)
    tot = tot.select(t_pid=tot.pid, **{f"T_{c}": tot[c] for c in tot.columns if c[:2] in ("N_", "D_", "L_", "C_", "XM")})
    r = grp.inner_join(tot, grp.pid == tot.t_pid)
    if deflate:
        cmp_flag = (r.T_XM_m == 0) & (r.T_XM_c == 0) & (r.T_D_c != 0)
        e_m, e_c = ibis.ifelse(cmp_flag, r.C_m, r.N_m), ibis.ifelse(cmp_flag, r.C_c, r.N_c)
    else:
        cmp_flag = ibis.literal(False)
        e_m, e_c = r.N_m, r.N_c
    out = r.select(period=r.pid, month_value=r.L_m, ytd_value=r.L_c, month_yoy_pct=growth_expr(e_m, r.D_m),
                   ytd_yoy_pct=growth_expr(e_c, r.D_c), share_pct=ratio_expr(r.L_c, r.T_L_c),
                   n_enterprises=r.n_enterprises, n_month_enterprises=r.n_month_enterprises,
                   basis=ibis.ifelse(cmp_flag, "comparable", "current"))
    return out.order_by("period")


__all__ = ["enterprise_series_expr", "series_expr"]
