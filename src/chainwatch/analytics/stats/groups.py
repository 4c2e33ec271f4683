"""Group memberships (group_type, group_id, uscc) for every grouping of the statistics.

``total``, ``district``, ``industry`` (GB/T 4754 division) and ``size`` partition the enterprises,
so contributions over them sum to 100 % and pulls to the total growth. ``chain``, ``segment`` and
``cluster`` do not: an enterprise in several chains counts in each, and enterprises outside every
chain count in none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis

from chainwatch.analytics.stats.indicators import GROUP_TYPES, PARTITIONS
from chainwatch.model.sizeclass import SIZE_RULES

Table = Any


def size_class_expr(employees: Any, revenue_wanyuan: Any, rules: str = "industry-2011") -> Any:
    """The industrial size class (statistics.md §7.1) as an Ibis expression; 'unknown' without data.

    Revenue is stored in 万元 and converted to yuan (× 10,000) for the thresholds in yuan.
    """
    rev = revenue_wanyuan * 10_000
    branches = [((employees >= r.min_employees) & (rev >= r.min_revenue_yuan), r.size) for r in SIZE_RULES[rules]]
    return ibis.cases((employees.isnull() | revenue_wanyuan.isnull(), "unknown"), *branches, else_="micro")


def membership(group_type: str, enterprise: Table, *, segment_enterprise: Table | None = None,
               segment: Table | None = None, chain: Table | None = None, annual: Table | None = None,
               size_year: int | None = None) -> Table:
    """Members of every group of one grouping, restricted to the enterprises of ``enterprise``.

    Parameters
    ----------
    group_type : one of :data:`GROUP_TYPES`.
    enterprise : the (scope-filtered) ``enterprise`` table.
    segment_enterprise, segment, chain : chain-map tables (chain / segment / cluster groupings).
    annual : ``enterprise_annual`` (size grouping); ``size_year`` is the year whose employees and
        revenue classify the enterprise (the year before the statistics year).

    Returns
    -------
    ibis.Table (group_type, group_id, uscc), one row per membership.
    """
    e = enterprise.select("uscc", "district", "division")
    gt = ibis.literal(group_type)
    if group_type == "total":
        return e.select(group_type=gt, group_id=ibis.literal("total"), uscc=e.uscc)
    if group_type == "district":
        return e.select(group_type=gt, group_id=e.district, uscc=e.uscc)
    if group_type == "industry":
        return e.select(group_type=gt, group_id=e.division, uscc=e.uscc)
    if group_type == "size":
        if annual is None or size_year is None:
            raise ValueError("size grouping needs the annual table and size_year")
        a = annual.filter(annual.year == size_year).select("uscc", a_emp="employees", a_rev="revenue")
        j = e.left_join(a, "uscc")
        return j.select(group_type=gt, group_id=size_class_expr(j.a_emp, j.a_rev), uscc=j.uscc)
    if group_type in ("segment", "chain", "cluster"):
        if segment_enterprise is None or segment is None:
            raise ValueError(f"{group_type} grouping needs segment_enterprise and segment")
        se = segment_enterprise.select("segment_id", "uscc").inner_join(e.select("uscc"), "uscc")
        if group_type == "segment":
            return se.select(group_type=gt, group_id=se.segment_id, uscc=se.uscc).distinct()
        sc = se.inner_join(segment.select("segment_id", "chain_id"), "segment_id")
        if group_type == "chain":
            return sc.select(group_type=gt, group_id=sc.chain_id, uscc=sc.uscc).distinct()
        if chain is None:
            raise ValueError("cluster grouping needs the chain table")
        cc = sc.inner_join(chain.select("chain_id", "cluster_id"), "chain_id")
        cc = cc.filter(cc.cluster_id.notnull())
        return cc.select(group_type=gt, group_id=cc.cluster_id, uscc=cc.uscc).distinct()
    raise ValueError(f"unknown grouping {group_type!r}")


def memberships(group_types: Sequence[str], enterprise: Table, **tables: Any) -> Table:
    """Union of :func:`membership` over several groupings (always including ``total``)."""
    types = ["total"] + [g for g in group_types if g != "total"]
    for g in types:
        if g not in GROUP_TYPES:
            raise ValueError(f"unknown grouping {g!r}")
    parts = []
    for g in types:
        m = membership(g, enterprise, **tables)
        parts.append(m.select(group_type=m.group_type.cast("string"), group_id=m.group_id.cast("string"),
                              uscc=m.uscc.cast("string")))
    out = parts[0]
    for p in parts[1:]:
        out = out.union(p, distinct=False)
    return out


def assignments(group_types: Sequence[str], enterprise: Table, **tables: Any) -> Table:
    """Each enterprise's cell and its non-partition memberships, for :func:`compute.rollup_sums`.

    Returns (uscc, kind, key, district, division, size): one ``kind = 'cell'`` row per enterprise with
    its district, division and size class (size only when the size grouping is asked for), and one row
    per chain, segment or cluster membership (``kind`` = the grouping, ``key`` = the group).
    """
    for g in group_types:
        if g not in GROUP_TYPES:
            raise ValueError(f"unknown grouping {g!r}")
    e = enterprise.select("uscc", "district", "division")
    none = ibis.null().cast("string")
    if "size" in group_types:
        cell = membership("size", enterprise, **tables)
        cell = cell.inner_join(e, "uscc").select("uscc", "district", "division", size=cell.group_id)
    else:
        cell = e.mutate(size=none)
    cell = cell.select(uscc=cell.uscc.cast("string"), kind=ibis.literal("cell"), key=ibis.literal(""),
                       district=cell.district.cast("string"), division=cell.division.cast("string"),
                       size=cell.size.cast("string"))
    out = cell
    for g in group_types:
        if g in PARTITIONS:
            continue
        m = membership(g, enterprise, **tables)
        out = out.union(m.select(uscc=m.uscc.cast("string"), kind=m.group_type.cast("string"),
                                 key=m.group_id.cast("string"), district=none, division=none, size=none),
                        distinct=False)
    return out


def derived_scope(annual: Table, years: Sequence[int], threshold_wanyuan: float = 2000.0) -> Table:
    """规上 membership derived from the prior year's revenue (statistics.md §1, [U]).

    An enterprise is above size in year y when its ``enterprise_annual`` revenue of y − 1 is at least
    2,000万元 (20,000,000 yuan). Returns (uscc, year, above_size, source='derived').
    """
    a = annual.filter(annual.year.isin([y - 1 for y in years]) & annual.revenue.notnull())
    return a.select(uscc=a.uscc, year=(a.year + 1).cast("int32"), above_size=a.revenue >= threshold_wanyuan,
                    source=ibis.literal("derived"))
