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


__all__ = ["enterprise_series_expr", "ibis"]
