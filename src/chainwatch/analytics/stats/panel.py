"""Enterprise-level panel and same-caliber (同口径) sets as Ibis expressions (statistics.md §2, §3.2, §4).

Everything here is backend-neutral Ibis: the expressions run on DuckDB by default and on any other
Ibis backend (PySpark) unchanged.

The panel has one row per enterprise with, for the years t, t−1 and t−2 (suffix ``0``, ``1``, ``2``):

* ``{ind}_m{k}`` – the enterprise's 当月 value (the official months of the period: Jan+Feb for 1–2月);
* ``{ind}_c{k}`` – its 累计 value (months 1..m);
* ``has_m{k}`` / ``has_c{k}`` – how many monthly rows it reported in those months.

Flow indicators are summed over the months, stock indicators (employees) averaged over the months
reported. A missing indicator value in a reported row counts as 0.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ibis

from chainwatch.analytics.stats.indicators import INDICATORS

Table = Any  # ibis.Table (kept loose for typing across ibis versions)


@dataclass(frozen=True)
class Span:
    """The official months of a statistics period.

    ``year``/``month`` is the reporting month (January is reported as 1–2月, so ``month >= 2``);
    ``official`` are the months of the 当月 figure and ``cumulative`` those of the 累计 figure.
    """

    year: int
    month: int
    official: tuple[int, ...]
    cumulative: tuple[int, ...]

    @classmethod
    def of(cls, year: int, month: int) -> Span:
        m = max(int(month), 2)
        official = (1, 2) if m == 2 else (m,)
        return cls(int(year), m, official, tuple(range(1, m + 1)))

    def period(self, k: int = 0) -> str:
        """'YYYY-MM' of the reporting month ``k`` years earlier."""
        return f"{self.year - k:04d}-{self.month:02d}"

    def end_date(self, k: int) -> Any:
        """Last day of the reporting month ``k`` years earlier (new-establishment cut-off)."""
        y = self.year - k
        return ibis.date(y, self.month, calendar.monthrange(y, self.month)[1])


def _value_column(mv: Table, ind: str) -> Any:
    if ind == "profit_tax":
        return mv.total_profit.fill_null(0) + mv.taxes.fill_null(0)
    return mv[ind]


def enterprise_panel(monthly: Table, span: Span, indicators: Sequence[str], years: int = 3) -> Table:
    """Aggregate ``monthly_value`` to one row per enterprise for the span in years t..t−years+1.

    Parameters
    ----------
    monthly : the ``monthly_value`` table (wide: one row per uscc × period).
    span : the statistics period.
    indicators : indicator names (see :data:`INDICATORS`).
    years : how many years back to aggregate (3 gives t, t−1, t−2 for two-year growth).

    Returns
    -------
    ibis.Table with ``uscc`` and the ``{ind}_{m|c}{k}`` / ``has_{m|c}{k}`` columns.
    """
    yrs = [span.year - k for k in range(years)]
    mv = monthly.filter(monthly.year.isin(yrs), monthly.month <= span.month)
    # stage 1: per enterprise, year and "in the official month(s)" (months ≤ m are already kept, so the
    # official months are those ≥ their first month); cheap plain sums over the large table
    first = span.official[0]
    sums: dict[str, Any] = {"n": mv.count()}
    for ind in indicators:
        sums[f"s_{ind}"] = _value_column(mv, ind).fill_null(0).sum()
    s1 = mv.group_by(["uscc", "year", (mv.month >= first).name("off")]).aggregate(**sums)
    # stage 2: pivot the (at most 2 × years) rows per enterprise into columns
    aggs: dict[str, Any] = {}
    for k, y in enumerate(yrs):
        in_c = s1.year == y
        in_m = in_c & s1.off
        # sum(CASE WHEN …) rather than sum(…) FILTER (WHERE …): DuckDB runs many of them faster
        aggs[f"has_m{k}"] = ibis.ifelse(in_m, s1.n, 0).sum()
        aggs[f"has_c{k}"] = ibis.ifelse(in_c, s1.n, 0).sum()
        for ind in indicators:
            aggs[f"{ind}_m{k}"] = ibis.ifelse(in_m, s1[f"s_{ind}"], 0.0).sum()
            aggs[f"{ind}_c{k}"] = ibis.ifelse(in_c, s1[f"s_{ind}"], 0.0).sum()
    panel = s1.group_by("uscc").aggregate(**aggs)
    means: dict[str, Any] = {}
    for k in range(len(yrs)):
        for ind in indicators:
            if INDICATORS[ind].kind == "stock":  # average over the months reported
                for s in ("m", "c"):
                    has = panel[f"has_{s}{k}"]
                    means[f"{ind}_{s}{k}"] = ibis.ifelse(has > 0, panel[f"{ind}_{s}{k}"] / has, 0.0)
    return panel.mutate(**means) if means else panel


def deflator_lookup(deflator: Table, span: Span, years: int = 2) -> tuple[Table, dict[str, Any]]:
    """PPI indices (same period last year = 100) for the span, by industry and for all industry ('*').

    For a single month the ``month`` index of that month is used; for 1–2月 and for 累计 the
    ``cumulative`` index of the reporting month (statistics.md §3.2).

    Returns
    -------
    (by_industry, star): ``by_industry`` has ``industry`` and ``ix_m{k}``/``ix_c{k}`` columns;
    ``star`` maps the same names to scalar expressions of the '*' row (null when absent).
    """
    month_span = "cumulative" if span.month == 2 else "month"
    d = deflator.filter(deflator.period.isin([span.period(k) for k in range(years)]))
    aggs: dict[str, Any] = {}
    for k in range(years):
        p = span.period(k)
        aggs[f"ix_m{k}"] = d.index_value.max(where=(d.period == p) & (d.span == month_span))
        aggs[f"ix_c{k}"] = d.index_value.max(where=(d.period == p) & (d.span == "cumulative"))
    by_ind = d.filter(d.industry != "*").group_by("industry").aggregate(**aggs)
    star_t = d.filter(d.industry == "*")
    star: dict[str, Any] = {}
    for k in range(years):
        p = span.period(k)
        star[f"ix_m{k}"] = star_t.filter((star_t.period == p) & (star_t.span == month_span)) \
            .index_value.max().as_scalar()
        star[f"ix_c{k}"] = star_t.filter((star_t.period == p) & (star_t.span == "cumulative")) \
            .index_value.max().as_scalar()
    return by_ind, star


def caliber_frame(panel: Table, enterprise: Table, scope: Table, span: Span, indicators: Sequence[str],
                  *, deflator: Table | None = None, policy: str = "exclude", years: int = 3) -> Table:
    """Same-caliber numerators, denominators and levels per enterprise (statistics.md §2.2).

    For ``k = 0`` (year t over t−1) and, when ``years == 3``, ``k = 1`` (t−1 over t−2, for the two-year
    average), and for each span ``s`` in {m (当月), c (累计)}:

    * ``in_{s}{k}``: the enterprise is 规上 in year t−k and reported in the span (the set S);
    * ``new_{s}{k}``: it has no own record for the span a year earlier and was founded after it
      (a new establishment: base 0);
    * ``inc_{s}{k}``: it has no prior record and is not provably new (incomplete base);
    * ``use_{s}{k}``: it enters N and D (S minus the incomplete ones under the ``exclude`` policy);
    * ``N_{ind}_{s}{k}``, ``D_{ind}_{s}{k}``: its contributions to N and D;
    * ``L_{ind}_{s}`` (k = 0 only): its contribution to the published level (every member of S);
    * ``X_{s}{k}``: its PPI index (industry, else '*'), when a deflator table is given.

    Parameters
    ----------
    panel : :func:`enterprise_panel` output.
    enterprise : ``enterprise`` table, already restricted to the caller's district scope.
    scope : ``enterprise_scope`` (uscc, year, above_size).
    policy : ``exclude`` (default; incomplete bases leave N and D and are counted) or ``zero``.
    """
    if policy not in ("exclude", "zero"):
        raise ValueError(f"unknown incomplete_base policy {policy!r}")
    ks = range(years - 1)
    ent = enterprise.select("uscc", "founded", "division")
    f = panel.inner_join(ent, "uscc")
    for k in ks:
        sk = scope.filter((scope.year == span.year - k) & scope.above_size).select(
            "uscc", **{f"sc{k}": ibis.literal(True)})
        f = f.left_join(sk, "uscc")
        if "uscc_right" in f.columns:
            f = f.drop("uscc_right")
    if deflator is not None:
        by_ind, star = deflator_lookup(deflator, span, years - 1)
        f = f.left_join(by_ind, f.division == by_ind.industry)
        f = f.drop(*[c for c in ("industry",) if c in f.columns])
    # stage 1: per-span flags as columns (so that later expressions refer to them by name)
    flags: dict[str, Any] = {}
    for k in ks:
        in_scope = f[f"sc{k}"].fill_null(False)
        new = f.founded.notnull() & (f.founded > span.end_date(k + 1))
        for s in ("m", "c"):
            inside = in_scope & (f[f"has_{s}{k}"] > 0)
            own = f[f"has_{s}{k + 1}"] > 0
            flags[f"in_{s}{k}"] = inside
            flags[f"own_{s}{k}"] = own
            flags[f"new_{s}{k}"] = inside & ~own & new
            flags[f"inc_{s}{k}"] = inside & ~own & ~new
            if deflator is not None:
                flags[f"X_{s}{k}"] = f[f"ix_{s}{k}"].fill_null(star[f"ix_{s}{k}"])
    f = f.mutate(**flags)
    uses: dict[str, Any] = {}
    for k in ks:
        for s in ("m", "c"):
            inside = f[f"in_{s}{k}"]
            uses[f"use_{s}{k}"] = inside & ~f[f"inc_{s}{k}"] if policy == "exclude" else inside
    f = f.mutate(**uses)
    # stage 2: each enterprise's share of N, D and the level
    cols: dict[str, Any] = {}
    for k in ks:
        for s in ("m", "c"):
            for name in ("in", "new", "inc", "use") + (("X",) if deflator is not None else ()):
                cols[f"{name}_{s}{k}"] = f[f"{name}_{s}{k}"]
            use, own, inside = f[f"use_{s}{k}"], f[f"own_{s}{k}"], f[f"in_{s}{k}"]
            for ind in indicators:
                cols[f"N_{ind}_{s}{k}"] = ibis.ifelse(use, f[f"{ind}_{s}{k}"], 0.0)
                cols[f"D_{ind}_{s}{k}"] = ibis.ifelse(use & own, f[f"{ind}_{s}{k + 1}"], 0.0)
                if k == 0:
                    cols[f"L_{ind}_{s}"] = ibis.ifelse(inside, f[f"{ind}_{s}{k}"], 0.0)
    cols["profit_c0"] = f["total_profit_c0"]
    keep = f["in_c0"]
    for k in ks:
        keep = keep | f[f"in_c{k}"] | f[f"in_m{k}"]
    return f.filter(keep).select("uscc", **cols)


__all__ = ["Span", "enterprise_panel", "deflator_lookup", "caliber_frame"]
